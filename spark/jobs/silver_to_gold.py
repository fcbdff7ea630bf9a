"""The gold daily totals of the order dates one ingestion date touched, recomputed from silver.

    spark-submit --py-files dataplatform_spark.zip silver_to_gold.py --help

The logic is in the package (dataplatform_spark.silver_to_gold); spark/README.md has the contract.
"""

import sys
from pathlib import Path

try:
    from dataplatform_spark import cli
except ImportError:
    # Run from a checkout without the zip: the package is beside this folder.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from dataplatform_spark import cli

if __name__ == "__main__":
    sys.exit(cli.main("silver_to_gold"))

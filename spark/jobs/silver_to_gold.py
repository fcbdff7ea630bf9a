"""The gold daily totals of the order dates one ingestion date touched, recomputed from silver.

    spark-submit --py-files dataplatform_spark.zip silver_to_gold.py --help

The logic is in the package (dataplatform_spark.silver_to_gold); spark/README.md has the contract.
"""

import sys

from dataplatform_spark import cli

if __name__ == "__main__":
    sys.exit(cli.main("silver_to_gold"))

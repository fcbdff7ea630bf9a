"""Orders of one ingestion date from bronze JSON lines to silver Parquet (and the quarantine).

    spark-submit --py-files dataplatform_spark.zip bronze_to_silver.py --help

The logic is in the package (dataplatform_spark.bronze_to_silver); spark/README.md has the contract.
"""

import sys

from dataplatform_spark import cli

if __name__ == "__main__":
    sys.exit(cli.main("bronze_to_silver"))

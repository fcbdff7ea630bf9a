"""Spark jobs of the data platform: orders from bronze to silver to gold (spark/README.md).

Shipped to EMR Serverless as ``dataplatform_spark.zip`` (``--py-files``) by ``spark/package.py``;
the entry scripts in ``spark/jobs/`` call into it.
"""

"""Code the DAG files share, published with them to the DAGs bucket.

Not DAG files themselves: ``../.airflowignore`` keeps this folder out of DAG discovery. Airflow puts
the bundle's folder on ``sys.path`` wherever it loads DAG code (the DAG processor, tasks, callbacks),
so a DAG file imports ``dataplatform_dags.<module>``.
"""

"""Prints the SQLAlchemy URI of Airflow's metadata database, with the credentials of the moment.

Airflow runs this as ``[database] sql_alchemy_conn_cmd`` each time one of its processes starts,
so the password is read at run time from the secret RDS manages (a JSON document with
``username`` and ``password``) and is never written to disk; a rotated password is picked up by
the next process start.

Usage: metadata_db_uri.py --secret-id ARN --host HOST --port PORT --database NAME
                          [--sslmode MODE] [--sslrootcert FILE] [--driver psycopg2|asyncpg] [--revision]

With --revision it prints the schema revision the database is at (Alembic's ``version_num``;
empty for a database Airflow never migrated) instead: the role migrates only when that or the
installed Airflow changed since its last migration.

Airflow's synchronous engine uses psycopg2 (sslmode=, sslrootcert=); its asynchronous engine uses
asyncpg, whose SQLAlchemy dialect takes the same mode as ssl= but passes every other query
parameter to asyncpg.connect(), which has no root certificate argument: asyncpg reads the CA
bundle from PGSSLROOTCERT, which the role sets in the environment of every Airflow process.
"""

import argparse
import json
import sys
from urllib.parse import quote

import boto3
import botocore.exceptions


def schema_revision(args, username, password):
    import psycopg2
    import psycopg2.errors

    try:
        connection = psycopg2.connect(host=args.host, port=args.port, dbname=args.database, user=username,
                                      password=password, sslmode=args.sslmode, connect_timeout=15,
                                      **({"sslrootcert": args.sslrootcert} if args.sslrootcert else {}))
    except psycopg2.Error as error:
        sys.exit("metadata_db_uri: cannot connect to %s:%d/%s: %s" % (args.host, args.port, args.database, error))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT version_num FROM alembic_version")
            return ",".join(sorted(row[0] for row in cursor.fetchall()))
    except psycopg2.errors.UndefinedTable:
        return ""
    finally:
        connection.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secret-id", required=True, help="ARN or name of the RDS credentials secret")
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", required=True, type=int)
    parser.add_argument("--database", required=True)
    parser.add_argument("--sslmode", default="require")
    parser.add_argument("--sslrootcert", default=None, help="CA bundle the server certificate is checked against")
    parser.add_argument("--region", default=None)
    parser.add_argument("--driver", choices=("psycopg2", "asyncpg"), default="psycopg2")
    parser.add_argument("--revision", action="store_true", help="print the schema revision instead")
    args = parser.parse_args()

    client = boto3.client("secretsmanager", region_name=args.region)
    try:
        secret = client.get_secret_value(SecretId=args.secret_id)["SecretString"]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        sys.exit("metadata_db_uri: cannot read the database credentials secret %s: %s" % (args.secret_id, error))
    try:
        credentials = json.loads(secret)
        username, password = credentials["username"], credentials["password"]
    except (ValueError, KeyError, TypeError):
        # The value itself stays out of the message: it is a password.
        sys.exit("metadata_db_uri: secret %s is not a JSON object with username and password" % args.secret_id)

    if args.revision:
        print(schema_revision(args, username, password))
        return
    if args.driver == "psycopg2":
        query = "sslmode=%s" % args.sslmode
        if args.sslrootcert:
            query += "&sslrootcert=%s" % quote(args.sslrootcert, safe="/")
    else:
        query = "ssl=%s" % args.sslmode
    print(
        "postgresql+%s://%s:%s@%s:%d/%s?%s"
        % (
            args.driver,
            quote(username, safe=""),
            quote(password, safe=""),
            args.host,
            args.port,
            quote(args.database, safe=""),
            query,
        )
    )


if __name__ == "__main__":
    main()

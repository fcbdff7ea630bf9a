"""NiFi processor: writes each FlowFile as one JSON-lines object into the bronze bucket, under the
ingestion date's partition, with the node's instance role credentials.

The nifi role installs it with boto3 from the platform's wheelhouse (NiFi runs no pip). A write
that fails goes to ``failure`` with the reason in ``s3.error``; the ingest flow retries it with
back-off and never drops it. The object's name is the FlowFile's uuid, so a retry after a write
whose answer was lost writes the same object again: it lands once.
"""

from nifiapi.flowfiletransform import FlowFileTransform, FlowFileTransformResult
from nifiapi.properties import ExpressionLanguageScope, PropertyDescriptor, StandardValidators

import bronze_writer


class PutBronzeObject(FlowFileTransform):
    class Java:
        implements = ["org.apache.nifi.python.processor.FlowFileTransform"]

    class ProcessorDetails:
        version = "1.0.0"
        description = ("Writes the FlowFile's content to s3://<bucket>/<prefix>/ingestion_date=<date>/<uuid>.json "
                       "with the credentials of the host (instance role); on failure routes to 'failure' with s3.error.")
        tags = ["s3", "bronze", "dataplatform"]
        # boto3 comes from the nifi role (its wheelhouse), never from pip at NiFi's runtime.
        dependencies = []

    BUCKET = PropertyDescriptor(
        name="Bucket", description="The bronze bucket.", required=True,
        validators=[StandardValidators.NON_EMPTY_VALIDATOR],
        expression_language_scope=ExpressionLanguageScope.ENVIRONMENT)
    REGION = PropertyDescriptor(
        name="Region", description="The bucket's AWS region.", required=True,
        validators=[StandardValidators.NON_EMPTY_VALIDATOR],
        expression_language_scope=ExpressionLanguageScope.ENVIRONMENT)
    KEY_PREFIX = PropertyDescriptor(
        name="Key Prefix", description="The dataset's folder in the bucket (orders).", required=True,
        default_value="orders", validators=[StandardValidators.NON_EMPTY_VALIDATOR],
        expression_language_scope=ExpressionLanguageScope.ENVIRONMENT)
    INGESTION_DATE = PropertyDescriptor(
        name="Ingestion Date", description="The partition's date, yyyy-MM-dd.", required=True,
        default_value="${ingestion.date}", validators=[StandardValidators.NON_EMPTY_EL_VALIDATOR],
        expression_language_scope=ExpressionLanguageScope.FLOWFILE_ATTRIBUTES)
    ENDPOINT_URL = PropertyDescriptor(
        name="Endpoint URL", description="The S3 endpoint; empty for the region's own (AWS).", required=False,
        expression_language_scope=ExpressionLanguageScope.ENVIRONMENT)

    def __init__(self, **kwargs):
        super().__init__()
        self.client = None

    def getPropertyDescriptors(self):
        return [self.BUCKET, self.REGION, self.KEY_PREFIX, self.INGESTION_DATE, self.ENDPOINT_URL]

    def onScheduled(self, context):
        import boto3  # pylint: disable=import-outside-toplevel
        from botocore.config import Config  # pylint: disable=import-outside-toplevel

        endpoint = context.getProperty(self.ENDPOINT_URL).evaluateAttributeExpressions().getValue()
        # A few quick tries inside one write; the flow's retries with back-off do the rest.
        config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30)
        self.client = boto3.client("s3", region_name=context.getProperty(self.REGION).evaluateAttributeExpressions().getValue(),
                                   endpoint_url=endpoint or None, config=config)

    def onStopped(self, context):
        self.client = None

    def transform(self, context, flowfile):
        bucket = context.getProperty(self.BUCKET).evaluateAttributeExpressions().getValue()
        try:
            key = bronze_writer.object_key(
                context.getProperty(self.KEY_PREFIX).evaluateAttributeExpressions().getValue(),
                context.getProperty(self.INGESTION_DATE).evaluateAttributeExpressions(flowfile).getValue(),
                flowfile.getAttribute("uuid"))
            attributes = bronze_writer.put(self.client, bucket, key, flowfile.getContentsAsBytes())
        except (ValueError, bronze_writer.BronzeWriteError) as error:
            self.logger.warn(f"Not written to bronze (kept for a retry): {error}")
            return FlowFileTransformResult(relationship="failure", attributes={"s3.error": str(error)})
        return FlowFileTransformResult(relationship="success", attributes=attributes)

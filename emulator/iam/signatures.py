"""Request signatures and S3's authorization as AWS checks them, in the moto server process: where
moto's re-signing of a request or its S3 action differed from AWS, a correct client was refused.

* The signature of an S3 request whose key has percent-encoded characters is checked over the path
  as sent (moto used the decoded path).
* Every signature covers each header its ``SignedHeaders`` names (moto dropped ``User-Agent``,
  which Spark's S3A connector signs).
* A request without a body is signed over the hash of nothing (moto hashed its parsed parameters:
  a REST GET from a role session failed).
* S3's HeadBucket is authorized as ``s3:ListBucket``, as in AWS (moto asks for an ``s3:HeadBucket``
  action that does not exist); DeleteObjects as ``s3:DeleteObject`` on each key (moto checks the
  bucket's ARN), every key reported AccessDenied when one is refused (AWS would delete the others).
"""

from __future__ import annotations

import html
import re
import urllib.parse


def _s3_request_with_decoded_path(original):
    """S3's signature covers the path as sent, percent-encoded (the SDKs encode every character of
    a key but ``/`` and ``~``); moto signs the request again over the decoded path, so a key with
    ``:``, ``+`` or a space (Airflow's task log keys) failed as SignatureDoesNotMatch."""
    def create_aws_request(self):
        path, _, query = self._path.partition("?")
        decoded = self._path
        self._path = urllib.parse.quote(path, safe="/~") + (f"?{query}" if query else "")
        try:
            return original(self)
        finally:
            self._path = decoded

    return create_aws_request


def _signed_headers_as_named(original):
    """A signature covers every header its ``SignedHeaders`` names, as AWS verifies it; moto signs
    the request again with botocore, which never signs ``User-Agent`` (among others), so a request
    from an SDK that signs it (the AWS SDK for Java v1, which Spark's S3A connector uses) failed as
    SignatureDoesNotMatch."""
    def create_auth(self, credentials):
        auth = original(self, credentials)
        named = set(self._get_string_between("SignedHeaders=", ",", self._headers.get("Authorization", "")).split(";"))
        default = auth.headers_to_sign

        def headers_to_sign(request):
            header_map = default(request)
            for name, value in request.headers.items():
                if name.lower() in named and name.lower() not in header_map:
                    header_map[name.lower()] = value
            return header_map

        auth.headers_to_sign = headers_to_sign
        return auth

    return create_auth


def _bodiless_request_signed_over_nothing(original):
    """A request without a body (a REST API's GET, HEAD or DELETE: EMR Serverless's GetApplication)
    is signed over the hash of nothing; moto signed it again over its parsed parameters, so such a
    request from a role session failed as SignatureDoesNotMatch."""
    def create_aws_request(self):
        if self._body or self._method not in ("GET", "HEAD", "DELETE"):
            return original(self)
        parsed = self._data
        self._data = b""
        try:
            return original(self)
        finally:
            self._data = parsed

    return create_aws_request


def _delete_objects_per_key(original):
    """DeleteObjects is authorized as s3:DeleteObject on each key (moto checks the bucket's ARN,
    which no object permission matches, and then refuses every key). Here every key must be
    allowed, or every key is reported AccessDenied and none deleted: never more than AWS allows."""
    def authenticate_and_authorize_s3_action(self, bucket_name=None, key_name=None):
        if key_name is None and bucket_name and self.method == "POST" and "delete" in (self.querystring or {}):
            body = self.body.decode() if isinstance(self.body, bytes) else (self.body or "")
            keys = [html.unescape(key) for key in re.findall(r"<Key>(.*?)</Key>", body, re.DOTALL)]
            for key in keys:
                original(self, bucket_name=bucket_name, key_name=key)
            if keys:
                return None
        return original(self, bucket_name=bucket_name, key_name=key_name)

    return authenticate_and_authorize_s3_action


def install() -> None:
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.iam.access_control import IAMRequest, S3IAMRequest
    from moto.s3.responses import ACTION_MAP

    # HeadBucket is authorized as s3:ListBucket (there is no s3:HeadBucket action); moto asks for
    # the latter, which no policy grants.
    ACTION_MAP["BUCKET"]["HEAD"]["DEFAULT"] = "ListBucket"
    S3IAMRequest._create_aws_request = _s3_request_with_decoded_path(S3IAMRequest._create_aws_request)
    S3IAMRequest._create_auth = _signed_headers_as_named(S3IAMRequest._create_auth)
    IAMRequest._create_auth = _signed_headers_as_named(IAMRequest._create_auth)
    IAMRequest._create_aws_request = _bodiless_request_signed_over_nothing(IAMRequest._create_aws_request)
    ActionAuthenticatorMixin._authenticate_and_authorize_s3_action = _delete_objects_per_key(
        ActionAuthenticatorMixin._authenticate_and_authorize_s3_action)

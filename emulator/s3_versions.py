"""S3 versioning as AWS keeps it, where moto's server fails: removing the last entry of a key
whose newest entry is a delete marker.

moto releases a key's storage when the key leaves the bucket, and calls ``dispose()`` on what it
removes; a delete marker has no storage and no such method, so DeleteObjects of the versions of a
key deleted earlier (what ``terraform destroy`` of a bucket with ``force_destroy`` sends) failed
with a server error, and Terraform retried it without end. Here a delete marker is disposed of as
having nothing to release, and the deletion succeeds, as in AWS.

Not emulated: nothing else of versioning differs from moto's own.
"""

from __future__ import annotations


def install() -> None:
    from moto.s3.models import FakeDeleteMarker

    if not hasattr(FakeDeleteMarker, "dispose"):
        FakeDeleteMarker.dispose = lambda self, garbage=False: None

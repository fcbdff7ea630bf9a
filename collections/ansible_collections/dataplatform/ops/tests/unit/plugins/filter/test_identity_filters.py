from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dataplatform.ops.plugins.filter.identity import FilterModule

FILTERS = FilterModule().filters()


def test_filters_expose_the_identity_function():
    subject = {"common_name": "alice", "organizational_unit": "DataEng", "organization": "Platform"}
    assert FILTERS["subject_dn"](subject) == "CN=alice, OU=DataEng, O=Platform"
    assert FILTERS["subject_rdns"](subject)[-1] == {"CN": "alice"}


def test_an_unsafe_subject_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="subject_dn: subject common_name contains ','"):
        FILTERS["subject_dn"]({"common_name": "alice, OU=admins"})

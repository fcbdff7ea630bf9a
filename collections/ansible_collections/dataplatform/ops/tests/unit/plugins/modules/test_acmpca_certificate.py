from __future__ import annotations

import pytest

from ansible_collections.dataplatform.ops.plugins.modules.acmpca_certificate import normalized_serial


@pytest.mark.parametrize("given", ["4C:1C:0D", "4c1c0d", " 4c:1c:0d ", "4C1C0D"])
def test_serials_are_normalized_to_the_form_the_pca_prints(given):
    assert normalized_serial(given) == "4c:1c:0d"


def test_a_serial_that_is_not_hex_is_refused():
    with pytest.raises(ValueError):
        normalized_serial("alice")

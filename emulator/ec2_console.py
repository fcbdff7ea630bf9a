"""``ec2:GetConsoleOutput`` as AWS answers it, emulated inside the moto server process.

moto answers every instance with the same canned kernel log. Here an instance's console is what the
host printed: whoever plays the hypervisor (the sandbox, reading its container's tty) posts it to
``POST /_dataplatform/console-output/<instance-id>``, and GetConsoleOutput returns it (base64, as
AWS does) for an instance moto knows; an instance nobody posted for keeps moto's canned output. Not
emulated: AWS's delay of a few minutes before the output appears, and its 64 KiB limit.
"""

from __future__ import annotations

from emulator.state import BACKEND_LOCK

# What each instance printed, by instance id (client.CONSOLE_OUTPUT_PATH posts it).
_console_output: dict[str, str] = {}


def post(instance_id: str, text: str) -> None:
    """The instance's console is ``text`` from now on."""
    with BACKEND_LOCK:
        _console_output[instance_id] = text


def forget() -> None:
    with BACKEND_LOCK:
        _console_output.clear()


def _get_console_output(self):
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow
    from moto.ec2.responses.general import General
    from moto.ec2.utils import Base64EncodedString

    instance_id = self._get_param("InstanceId")
    with BACKEND_LOCK:
        posted = _console_output.get(instance_id)
    if posted is None:
        return General.get_console_output(self)
    instance = self.ec2_backend.get_instance(instance_id)
    return ActionResult({"InstanceId": instance.id, "Timestamp": utcnow(),
                         "Output": Base64EncodedString.from_raw_string(posted)})


def install() -> None:
    from moto.ec2.responses import EC2Response

    EC2Response.get_console_output = _get_console_output

"""AWS APIs the project calls that moto 5.2.5 lacks, emulated inside the moto server process.

Tests still talk to the server over HTTP with the real AWS SDK and the project's modules; only the
missing answer is supplied here. Each emulation says what it checks and what it cannot.

* **Lifecycle hooks** (moto stores them without enforcing them: every instance is InService at
  once; it ignores CreateAutoScalingGroup's ``LifecycleHookSpecificationList``; it has no
  CompleteLifecycleAction (a 500) and no RecordLifecycleActionHeartbeat). Emulated as AWS documents:

  - CreateAutoScalingGroup's ``LifecycleHookSpecificationList`` puts those hooks on the group
    before its first instances launch (a transition other than launching/terminating is a
    ``ValidationError``; a group that fails to be created leaves none behind).
  - An instance launched into a group with an ``autoscaling:EC2_INSTANCE_LAUNCHING`` hook waits in
    ``Pending:Wait`` (DescribeAutoScalingGroups and DescribeAutoScalingInstances show it) and
    counts toward the group's capacity; with several launch hooks it waits for each of them.
    Instances already in the group when a hook is put stay as they are (AWS applies a hook to
    later launches only).
  - ``CompleteLifecycleAction`` checks the group, the hook, the instance (``InstanceId``, or the
    action's ``LifecycleActionToken``) and the result (CONTINUE or ABANDON), then the pending
    action: none pending for that instance and hook is a ``ValidationError`` "No active Lifecycle
    Action found …", as from AWS (completing twice, or after the timeout). CONTINUE puts the
    instance in service once no launch hook holds it; ABANDON terminates it (EC2 state
    terminated, out of the group) and the group launches a replacement, which waits in turn.
    Every completion is recorded; ``GET /_dataplatform/lifecycle-actions`` lists them. AWS hands
    out an action's token only in the hook's notification, which is not emulated;
    ``GET /_dataplatform/lifecycle-actions/pending`` lists the pending actions with their tokens
    instead.
  - ``RecordLifecycleActionHeartbeat`` (same checks) restarts the action's heartbeat timeout; when
    an action has waited its hook's ``HeartbeatTimeout`` (default 3600 s) without completion, the
    hook's ``DefaultResult`` is applied as above (a timer in the server process; it is not
    recorded as a completion). For the sandbox and the tests every timeout may be shortened: the
    environment variable ``DATAPLATFORM_LIFECYCLE_TIMEOUT_SECONDS`` of the server process caps
    each hook's timeout, and ``POST /_dataplatform/lifecycle-timeout`` with a number of seconds as
    its body sets that cap for the running server (an empty body goes back to the variable).
    A cap applies to actions started or heartbeated after it is set.
  - One leniency AWS does not have: an instance that was already in its group when the hook was
    put (the state the older tests build, describing such instances as waiting through a static
    inventory) may have that hook's action completed once; the completion is recorded and the
    instance's state is left alone.
  - With an ``autoscaling:EC2_INSTANCE_TERMINATING`` hook, an instance leaving the group on
    scale-in (a lower desired capacity: the oldest unprotected instances, as moto picks them) or
    through TerminateInstanceInAutoScalingGroup waits in ``Terminating:Wait``, no longer counted
    in the group's capacity (with ``ShouldDecrementDesiredCapacity`` false the group launches its
    replacement at once), until each terminating hook's action ends: CONTINUE, ABANDON (which
    skips the instance's other terminating hooks) or the timeout's default result all terminate
    it and take it out of the group. Terminating an instance already waiting to terminate, or
    below the group's minimum with the decrement, is a ``ValidationError``, as from AWS.
    DeleteAutoScalingGroup refuses a group that has instances (``ResourceInUse``) unless
    ``ForceDelete`` is set, which ends its instances at once, waiting ones included, without
    their hooks, as in AWS (Terraform's ``force_delete``; without it Terraform drains the group
    first, through the hooks).
  - Not emulated: the global timeout (48 h or 100 heartbeats);
    notifications to the hook's target; DeleteLifecycleHook ending the hook's pending actions
    (they end at their timeout with its default result); load balancers keeping a waiting
    instance out (moto registers it with the group's load balancers and target groups at launch and
    keeps a leaving one registered; the sandbox's load balancer stand-in forwards to in-service
    instances only); connection draining before Terminating:Wait.
    The timers take the lock the server serves every request under (``BACKEND_LOCK``), so a timer
    never changes a group while a request reads or changes it. moto's reset cancels every pending
    action and timer.
* ``ec2:GetConsoleOutput`` (moto answers every instance with the same canned kernel log). An
  instance's console is what the host printed: whoever plays the hypervisor (the sandbox, reading
  its container's tty) posts it to ``POST /_dataplatform/console-output/<instance-id>``, and
  GetConsoleOutput returns it (base64, as AWS does) for an instance moto knows; an instance nobody
  posted for keeps moto's canned output. Not emulated: AWS's delay of a few minutes before the
  output appears, and its 64 KiB limit.
* **ACM private certificates** (moto makes a certificate requested with a
  ``CertificateAuthorityArn`` self-signed by "Amazon", so nothing that trusts the private CA
  trusts it). Here RequestCertificate with a CA signs the certificate with that CA (moto's ACM
  PCA), as AWS does: the requested name and alternative names, serverAuth and clientAuth, the
  CA's certificate as its chain (ExportCertificate and GetCertificate return it). A CA that has
  no certificate yet leaves moto's answer (AWS refuses the request). Not emulated: the CA's
  permission for ACM, renewal, the CA's audit of issued certificates.
* **Policy conditions** (moto evaluates a statement's Condition only for ``StringEquals``, treats
  every other operator as matching, and makes any statement whose condition fails a Deny). Here a
  statement applies only when its conditions hold, Allow and Deny alike, as in AWS, read by
  policy_conditions.py (the operators it evaluates, and the stricter reading of the others); and
  ``NotResource`` is evaluated (moto applied such a statement to every resource). The request's
  ``aws:SecureTransport`` is true only for HTTPS requests (the sandbox's endpoint speaks HTTPS,
  like AWS's); ``aws:PrincipalArn`` and the resource policies are resource_policies.py's. Other
  context keys are supplied only where moto supplies them.
* **EventBridge** (the lifecycle hooks' events and API destination targets): tests/harness/moto_events.py.
* **A service's session of a role** (what EC2 or EMR Serverless gets when it assumes a role its
  trust policy names): tests/harness/service_sessions.py.
* **EMR Serverless** (application states, the execution role's trust, job runs on a local Spark
  behind a named switch): tests/harness/moto_emr_serverless.py.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from dataclasses import dataclass, field

try:
    from tests.harness import moto_emr_serverless, moto_events, policy_conditions, service_sessions
except ImportError:  # the moto server's process, which imports the harness's modules by their own names
    import moto_emr_serverless
    import moto_events
    import policy_conditions
    import service_sessions

LIFECYCLE_ACTIONS_PATH = "/_dataplatform/lifecycle-actions"
PENDING_LIFECYCLE_ACTIONS_PATH = "/_dataplatform/lifecycle-actions/pending"
LIFECYCLE_TIMEOUT_PATH = "/_dataplatform/lifecycle-timeout"
CONSOLE_OUTPUT_PATH = "/_dataplatform/console-output/"
LIFECYCLE_TIMEOUT_VARIABLE = "DATAPLATFORM_LIFECYCLE_TIMEOUT_SECONDS"
LAUNCHING = "autoscaling:EC2_INSTANCE_LAUNCHING"
TERMINATING = "autoscaling:EC2_INSTANCE_TERMINATING"
TRANSITIONS = (LAUNCHING, TERMINATING)
PENDING_WAIT = "Pending:Wait"
TERMINATING_WAIT = "Terminating:Wait"

# Reentrant: an ABANDON applied under the lock terminates an instance, and moto's replacement
# launch comes back through the emulated launch, which takes the lock again.
_lock = threading.RLock()
# The server serves every request under this lock too (moto_server.CountingMiddleware), so a timer
# never changes a backend while a request reads or changes it.
BACKEND_LOCK = _lock
_lifecycle_actions: list[dict] = []
_console_output: dict[str, str] = {}
# The context keys of the request being served (set per request by GapsMiddleware).
_request = threading.local()
# The same, for the IAM emulation (iam_emulation.py), which adds the resource's tags to it.
REQUEST_CONTEXT = _request


def _is_action_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):
    from moto.iam.access_control import PermissionResult

    if "NotAction" in self._statement:
        concerned = not self._check_element_matches("NotAction", action)
    else:
        concerned = self._check_element_matches("Action", action)
    if not concerned:
        return PermissionResult.NEUTRAL
    if self.is_unknown_principal(self._statement.get("Principal")):
        return PermissionResult.NEUTRAL
    if principal and not self._check_principal(principal):
        return PermissionResult.NEUTRAL
    values = {**getattr(_request, "context", {}), **(incoming_condition_values or {})}
    if not policy_conditions.statement_applies(self._statement, values):
        return PermissionResult.NEUTRAL
    if "NotResource" in self._statement:
        if self._check_element_matches("NotResource", resource):
            return PermissionResult.NEUTRAL
    elif self._statement.get("Resource") and not self._check_element_matches("Resource", resource):
        return PermissionResult.NEUTRAL
    return PermissionResult.PERMITTED if self._statement["Effect"] == "Allow" else PermissionResult.DENIED


@dataclass(eq=False)
class _LifecycleAction:
    """One instance waiting for one hook, as the lifecycle-hook emulation holds it."""

    backend: object
    group_name: str
    hook_name: str
    instance_id: str
    default_result: str
    heartbeat_timeout: float
    transition: str = LAUNCHING
    token: str = field(default_factory=lambda: str(uuid.uuid4()))
    timer: threading.Timer | None = None


# Pending actions by (instance id, hook name); moto's instance ids are unique across backends.
_pending: dict[tuple[str, str], _LifecycleAction] = {}
# Instances already in a group when a hook was put on it, by (account, region, group, hook).
_predating: dict[tuple[str, str, str, str], set[str]] = {}
# The cap set through LIFECYCLE_TIMEOUT_PATH; None: the environment variable's, if any.
_timeout_cap: float | None = None
# Set while DeleteAutoScalingGroup with ForceDelete runs: its instances go without their hooks.
_forcing = threading.local()


def _hook_key(backend, group_name: str, hook_name: str) -> tuple[str, str, str, str]:
    return (backend.account_id, backend.region_name, group_name, hook_name)


def _effective_timeout(hook_timeout) -> float:
    cap = _timeout_cap
    if cap is None and os.environ.get(LIFECYCLE_TIMEOUT_VARIABLE):
        cap = float(os.environ[LIFECYCLE_TIMEOUT_VARIABLE])
    timeout = float(hook_timeout or 3600)
    return min(timeout, cap) if cap is not None else timeout


def _arm(action: _LifecycleAction) -> None:
    """(Re)starts the action's heartbeat timeout. Call with ``_lock`` held."""
    if action.timer is not None:
        action.timer.cancel()
    action.timer = threading.Timer(action.heartbeat_timeout, _time_out, args=(action,))
    action.timer.daemon = True
    action.timer.start()


def _time_out(action: _LifecycleAction) -> None:
    with _lock:
        # A completion, a heartbeat's new timer or a reset may have won the race for the lock.
        if _pending.get((action.instance_id, action.hook_name)) is not action:
            return
        _end_action(action, action.default_result)


def _group_state(backend, group_name: str, instance_id: str):
    group = backend.autoscaling_groups.get(group_name)
    if group is None:
        return None, None
    return group, next((state for state in group.instance_states if state.instance.id == instance_id), None)


def _drop_actions(instance_id: str) -> None:
    """Forgets every pending action of an instance. Call with ``_lock`` held."""
    for key, other in list(_pending.items()):
        if key[0] == instance_id:
            _pending.pop(key)
            if other.timer is not None:
                other.timer.cancel()


def _end_action(action: _LifecycleAction, result: str) -> None:
    """Applies an action's result to its instance. Call with ``_lock`` held."""
    _pending.pop((action.instance_id, action.hook_name), None)
    if action.timer is not None:
        action.timer.cancel()
    backend = action.backend
    group, state = _group_state(backend, action.group_name, action.instance_id)
    if state is None:
        return  # the instance left the group meanwhile (TerminateInstances, group deleted)
    if action.transition == TERMINATING:
        # Either result lets the instance go; ABANDON also skips its other terminating hooks.
        if result == "ABANDON":
            _drop_actions(action.instance_id)
        if not any(key[0] == action.instance_id for key in _pending):
            group.instance_states = [other for other in group.instance_states if other is not state]
            backend.ec2_backend.terminate_instances([action.instance_id])
            backend.update_attached_elbs(group.name)
        return
    if result == "ABANDON":
        _drop_actions(action.instance_id)
        backend.ec2_backend.terminate_instances([action.instance_id])
        # moto's own path for a terminated group instance: out of the group, a replacement launched
        # for the capacity it held, the load balancers told.
        backend.notify_terminate_instances([action.instance_id])
        backend.elbv2_backend.notify_terminate_instances([action.instance_id])
        return
    if not any(key[0] == action.instance_id for key in _pending):
        state.lifecycle_state = "InService"
        backend.update_attached_elbs(group.name)


def _hooks(backend, group_name: str, transition: str) -> list:
    return [hook for hook in backend.lifecycle_hooks.values()
            if hook.auto_scaling_group_name == group_name and hook.lifecycle_transition == transition]


def _hold(group, state, hooks: list, transition: str) -> None:
    """Puts an instance in the wait state of ``transition`` until each hook's action ends. Call with
    ``_lock`` held."""
    state.lifecycle_state = PENDING_WAIT if transition == LAUNCHING else TERMINATING_WAIT
    for hook in hooks:
        action = _LifecycleAction(group.autoscaling_backend, group.name, hook.name, state.instance.id,
                                  hook.default_result, _effective_timeout(hook.heartbeat_timeout), transition)
        _pending[(action.instance_id, hook.name)] = action
        _arm(action)
        moto_events.lifecycle_action_event(group.autoscaling_backend, group, hook, action.instance_id, action.token,
                                           transition)


def _emulated_launch(original):
    def replace_autoscaling_group_instances(self, count_needed, propagated_tags):
        with _lock:
            before = {state.instance.id for state in self.instance_states}
            original(self, count_needed, propagated_tags)
            hooks = _hooks(self.autoscaling_backend, self.name, LAUNCHING)
            if not hooks:
                return
            for state in self.instance_states:
                if state.instance.id not in before:
                    _hold(self, state, hooks, LAUNCHING)

    return replace_autoscaling_group_instances


def _emulated_set_desired_capacity(original):
    def set_desired_capacity(self, new_capacity):
        with _lock:
            hooks = _hooks(self.autoscaling_backend, self.name, TERMINATING)
            desired = self.min_size if new_capacity is None else new_capacity
            active = self.active_instances()
            if not hooks or getattr(_forcing, "group", None) == self.name or len(active) <= (desired or 0):
                return original(self, new_capacity)
            # Scale-in: the leaving instances (the oldest unprotected ones, as moto picks them) wait
            # in Terminating:Wait, out of the group's capacity, until their actions end.
            self.desired_capacity = desired
            leaving = [state for state in active if not state.protected_from_scale_in][:len(active) - (desired or 0)]
            for state in leaving:
                _drop_actions(state.instance.id)  # a leaving instance still in Pending:Wait
                _hold(self, state, hooks, TERMINATING)
            if self.name in self.autoscaling_backend.autoscaling_groups:
                self.autoscaling_backend.update_attached_elbs(self.name)

    return set_desired_capacity


def _emulated_terminate_instance(original):
    def terminate_instance(self, instance_id, should_decrement):
        from moto.autoscaling.exceptions import ValidationError
        from moto.autoscaling.models import TerminateInstanceActivity

        with _lock:
            group, state = next(((group, state) for group in self.autoscaling_groups.values()
                                 for state in group.instance_states if state.instance.id == instance_id), (None, None))
            hooks = _hooks(self, group.name, TERMINATING) if group else []
            if not hooks:
                return original(self, instance_id, should_decrement)
            if state.lifecycle_state == TERMINATING_WAIT:
                raise ValidationError("The instance %s is already terminating" % instance_id)
            original_size = group.desired_capacity
            if should_decrement:
                if group.desired_capacity - 1 < group.min_size:
                    raise ValidationError("Currently, desiredSize equals minSize (%s). Terminating instance without "
                                          "replacement will violate group's min size constraint. Either set "
                                          "shouldDecrementDesiredCapacity flag to false or lower group's min size."
                                          % group.min_size)
                group.desired_capacity -= 1
            _drop_actions(instance_id)
            _hold(group, state, hooks, TERMINATING)
            # Without the decrement, the group launches a replacement for the capacity it left.
            group.set_desired_capacity(group.desired_capacity)
            return TerminateInstanceActivity(state.instance, original_size)

    return terminate_instance


def _emulated_delete_auto_scaling_group(original):
    def delete_auto_scaling_group(self):
        from moto.autoscaling.exceptions import AutoscalingClientError

        group_name = self._get_param("AutoScalingGroupName")
        force = self._get_bool_param("ForceDelete", False)
        with _lock:
            group = self.autoscaling_backend.autoscaling_groups.get(group_name)
            if group is not None and group.instance_states and not force:
                raise AutoscalingClientError("ResourceInUse", "You cannot delete an AutoScalingGroup while there are "
                                             "instances or pending Spot instance requests")
            if group is not None:
                for state in group.instance_states:
                    _drop_actions(state.instance.id)
                leaving = [state for state in group.instance_states if state.lifecycle_state == TERMINATING_WAIT]
                group.instance_states = [state for state in group.instance_states if state not in leaving]
                if leaving:
                    self.autoscaling_backend.ec2_backend.terminate_instances([state.instance.id for state in leaving])
            _forcing.group = group_name
            try:
                return original(self)
            finally:
                _forcing.group = None

    return delete_auto_scaling_group


def _active_instances(self):
    # A waiting instance holds its place in the group's capacity, so moto launches no extra one.
    return [state for state in self.instance_states if state.lifecycle_state in ("InService", PENDING_WAIT)]


def _emulated_create_lifecycle_hook(original):
    def create_lifecycle_hook(self, name, as_name, transition, timeout, result):
        with _lock:
            is_new = f"{as_name}_{name}" not in self.lifecycle_hooks
            hook = original(self, name, as_name, transition, timeout, result)
            group = self.autoscaling_groups.get(as_name)
            if is_new:
                _predating[_hook_key(self, as_name, name)] = {
                    state.instance.id for state in (group.instance_states if group else [])}
            return hook

    return create_lifecycle_hook


def _emulated_create_auto_scaling_group(original):
    def create_auto_scaling_group(self):
        from moto.autoscaling.exceptions import ValidationError

        group_name = self._get_param("AutoScalingGroupName")
        specifications = self._get_param("LifecycleHookSpecificationList", []) or []
        backend = self.autoscaling_backend
        for specification in specifications:
            if specification.get("LifecycleTransition") not in TRANSITIONS:
                raise ValidationError("LifecycleTransition must be one of %s, not %s"
                                      % (", ".join(TRANSITIONS), specification.get("LifecycleTransition")))
        created = []
        for specification in specifications:
            name = specification["LifecycleHookName"]
            if f"{group_name}_{name}" not in backend.lifecycle_hooks:
                created.append(name)
            timeout = specification.get("HeartbeatTimeout")
            backend.create_lifecycle_hook(name=name, as_name=group_name, transition=specification["LifecycleTransition"],
                                          timeout=int(timeout) if timeout is not None else None,
                                          result=specification.get("DefaultResult"))
        try:
            return original(self)
        except Exception:
            with _lock:
                for name in created:
                    backend.delete_lifecycle_hook(group_name, name)
                    _predating.pop(_hook_key(backend, group_name, name), None)
            raise

    return create_auto_scaling_group


def _lifecycle_request(self):
    """The group, hook and instance a lifecycle action call names, checked as AWS checks them, and
    its pending action (None if there is none)."""
    from moto.autoscaling.exceptions import ValidationError

    group_name = self._get_param("AutoScalingGroupName")
    hook_name = self._get_param("LifecycleHookName")
    instance_id = self._get_param("InstanceId")
    token = self._get_param("LifecycleActionToken")
    backend = self.autoscaling_backend
    group = backend.autoscaling_groups.get(group_name)
    if group is None:
        raise ValidationError("Group %s not found" % group_name)
    if "%s_%s" % (group_name, hook_name) not in backend.lifecycle_hooks:
        raise ValidationError("No Lifecycle Hook found with name %s for group %s" % (hook_name, group_name))
    if not instance_id and not token:
        raise ValidationError("Either InstanceId or LifecycleActionToken must be given")
    if instance_id:
        action = _pending.get((instance_id, hook_name))
        if action is not None and action.backend is not backend:
            action = None
    else:
        action = next((candidate for candidate in _pending.values() if candidate.token == token
                       and candidate.backend is backend and candidate.hook_name == hook_name), None)
        if action is None:
            raise ValidationError("No active Lifecycle Action found with token %s" % token)
        instance_id = action.instance_id
    if instance_id not in [state.instance.id for state in group.instance_states]:
        raise ValidationError("No active Lifecycle Action found with instance ID %s" % instance_id)
    if action is not None and action.group_name != group_name:
        action = None
    return group_name, hook_name, instance_id, action


def _complete_lifecycle_action(self):
    from moto.autoscaling.exceptions import ValidationError
    from moto.core.responses import EmptyResult

    result = self._get_param("LifecycleActionResult")
    with _lock:
        group_name, hook_name, instance_id, action = _lifecycle_request(self)
        if result not in ("CONTINUE", "ABANDON"):
            raise ValidationError("LifecycleActionResult must be CONTINUE or ABANDON, not %s" % result)
        if action is None:
            predating = _predating.get(_hook_key(self.autoscaling_backend, group_name, hook_name), set())
            if instance_id not in predating:
                raise ValidationError("No active Lifecycle Action found with instance ID %s" % instance_id)
            predating.discard(instance_id)
        else:
            _end_action(action, result)
        _lifecycle_actions.append(
            {"AutoScalingGroupName": group_name, "LifecycleHookName": hook_name, "InstanceId": instance_id,
             "LifecycleActionResult": result}
        )
    return EmptyResult()


def _record_lifecycle_action_heartbeat(self):
    from moto.autoscaling.exceptions import ValidationError
    from moto.core.responses import EmptyResult

    with _lock:
        _, _, instance_id, action = _lifecycle_request(self)
        if action is None:
            raise ValidationError("No active Lifecycle Action found with instance ID %s" % instance_id)
        hook = self.autoscaling_backend.lifecycle_hooks.get("%s_%s" % (action.group_name, action.hook_name))
        action.heartbeat_timeout = _effective_timeout(hook.heartbeat_timeout if hook else action.heartbeat_timeout)
        _arm(action)
    return EmptyResult()


def _set_timeout_cap(seconds: float | None) -> None:
    global _timeout_cap
    with _lock:
        _timeout_cap = seconds


def _forget_lifecycle_actions() -> None:
    global _timeout_cap
    with _lock:
        for action in _pending.values():
            if action.timer is not None:
                action.timer.cancel()
        _pending.clear()
        _predating.clear()
        _lifecycle_actions.clear()
        _timeout_cap = None


def _get_console_output(self):
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow
    from moto.ec2.responses.general import General
    from moto.ec2.utils import Base64EncodedString

    instance_id = self._get_param("InstanceId")
    with _lock:
        posted = _console_output.get(instance_id)
    if posted is None:
        return General.get_console_output(self)
    instance = self.ec2_backend.get_instance(instance_id)
    return ActionResult({"InstanceId": instance.id, "Timestamp": utcnow(),
                         "Output": Base64EncodedString.from_raw_string(posted)})


def _emulated_request_certificate(original):
    def request_certificate(self, domain_name, idempotency_token, subject_alt_names, tags,
                            cert_authority_arn=None, cert_options=None):
        arn = original(self, domain_name, idempotency_token, subject_alt_names, tags,
                       cert_authority_arn=cert_authority_arn, cert_options=cert_options)
        if cert_authority_arn:
            _sign_with_private_ca(self, arn, cert_authority_arn)
        return arn

    return request_certificate


def _sign_with_private_ca(acm_backend, arn: str, authority_arn: str) -> None:
    """Replaces moto's self-signed certificate ``arn`` by one the private CA signs for its key."""
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID
    from moto.acm.models import CertBundle
    from moto.acmpca.models import acmpca_backends

    bundle = acm_backend._certificates[arn]
    authority = acmpca_backends[acm_backend.account_id][acm_backend.region_name].certificate_authorities.get(
        authority_arn)
    if authority is None or not authority.certificate_bytes:
        return
    requested = x509.load_pem_x509_certificate(bundle.cert)
    extensions = [
        (requested.extensions.get_extension_for_class(x509.SubjectAlternativeName).value, False),
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (x509.KeyUsage(digital_signature=True, key_encipherment=True, content_commitment=False,
                       data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                       encipher_only=False, decipher_only=False), True),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), False),
    ]
    subject = x509.Name([attribute for attribute in requested.subject if attribute.oid == x509.NameOID.COMMON_NAME])
    signed = CertBundle(account_id=acm_backend.account_id, region=acm_backend.region_name, arn=arn,
                        certificate=authority.generate_cert(subject, requested.public_key(), extensions),
                        private_key=bundle.key, cert_type="PRIVATE", cert_status="ISSUED",
                        cert_authority_arn=authority_arn, cert_options=bundle.cert_options)
    # The chain is the issuing CA's certificate alone (moto appends a public root to any chain).
    signed.chain = authority.certificate_bytes.rstrip(b"\n") + b"\n"
    signed.tags = bundle.tags
    acm_backend._certificates[arn] = signed


class GapsMiddleware:
    """Serves the record of emulated calls and the lifecycle timeout cap, and clears them on moto's reset."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        _request.context = {"aws:SecureTransport": "true" if environ.get("wsgi.url_scheme") == "https" else "false"}
        path = environ.get("PATH_INFO", "")
        if path == LIFECYCLE_ACTIONS_PATH:
            with _lock:
                payload = json.dumps(_lifecycle_actions).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
            return [payload]
        if path == PENDING_LIFECYCLE_ACTIONS_PATH:
            with _lock:
                payload = json.dumps([
                    {"AutoScalingGroupName": action.group_name, "LifecycleHookName": action.hook_name,
                     "InstanceId": action.instance_id, "LifecycleActionToken": action.token}
                    for action in _pending.values()]).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
            return [payload]
        if path == LIFECYCLE_TIMEOUT_PATH and environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            text = environ["wsgi.input"].read(length).decode("ascii", "replace").strip()
            try:
                cap = float(text) if text else None
            except ValueError:
                cap = -1.0
            if cap is not None and cap <= 0:
                start_response("400 Bad Request", [("Content-Length", "0")])
                return [b""]
            _set_timeout_cap(cap)
            start_response("204 No Content", [("Content-Length", "0")])
            return [b""]
        if path.startswith(CONSOLE_OUTPUT_PATH) and environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            text = environ["wsgi.input"].read(length).decode("utf-8", "replace")
            with _lock:
                _console_output[path[len(CONSOLE_OUTPUT_PATH):]] = text
            start_response("204 No Content", [("Content-Length", "0")])
            return [b""]
        for emulation in (moto_events, moto_emr_serverless, service_sessions):
            served = emulation.serve(environ, start_response)
            if served is not None:
                return served
        if path == "/moto-api/reset":
            moto_events.forget()
            moto_emr_serverless.forget()
            _forget_lifecycle_actions()
            with _lock:
                _console_output.clear()
        return self.app(environ, start_response)


def install(app):
    """Adds the emulated APIs to moto and wraps the server's WSGI ``app``."""
    from moto.autoscaling.models import AutoScalingBackend, FakeAutoScalingGroup
    from moto.autoscaling.responses import AutoScalingResponse

    AutoScalingResponse.complete_lifecycle_action = _complete_lifecycle_action
    AutoScalingResponse.record_lifecycle_action_heartbeat = _record_lifecycle_action_heartbeat
    AutoScalingResponse.create_auto_scaling_group = _emulated_create_auto_scaling_group(
        AutoScalingResponse.create_auto_scaling_group)
    AutoScalingResponse.delete_auto_scaling_group = _emulated_delete_auto_scaling_group(
        AutoScalingResponse.delete_auto_scaling_group)
    AutoScalingBackend.terminate_instance = _emulated_terminate_instance(AutoScalingBackend.terminate_instance)
    FakeAutoScalingGroup.set_desired_capacity = _emulated_set_desired_capacity(FakeAutoScalingGroup.set_desired_capacity)
    AutoScalingBackend.create_lifecycle_hook = _emulated_create_lifecycle_hook(AutoScalingBackend.create_lifecycle_hook)
    FakeAutoScalingGroup.replace_autoscaling_group_instances = _emulated_launch(
        FakeAutoScalingGroup.replace_autoscaling_group_instances)
    FakeAutoScalingGroup.active_instances = _active_instances
    from moto.ec2.responses import EC2Response
    from moto.iam.access_control import IAMPolicyStatement

    EC2Response.get_console_output = _get_console_output
    from moto.acm.models import AWSCertificateManagerBackend

    AWSCertificateManagerBackend.request_certificate = _emulated_request_certificate(
        AWSCertificateManagerBackend.request_certificate)
    IAMPolicyStatement.is_action_permitted = _is_action_permitted
    moto_events.install(BACKEND_LOCK)
    moto_emr_serverless.install(BACKEND_LOCK)
    return GapsMiddleware(app)

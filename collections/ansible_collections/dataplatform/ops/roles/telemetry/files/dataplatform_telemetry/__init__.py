"""The platform's host telemetry agent: ships a host's log files and journal to its CloudWatch Logs
stream and publishes the platform's metrics, with the instance role's credentials.

It reads its settings from one JSON file (the telemetry role writes it), keeps how far it has
shipped each source in its state directory, and advances that only once CloudWatch accepted the
lines: a restart, a network failure or a refused write resumes where the last accepted batch
ended, so no line is lost and none is sent twice in the normal course (a write whose answer was
lost is sent again). It reads its sources only as fast as it can ship them, so a long outage
leaves the lines in the files and the journal, not in its memory.
"""

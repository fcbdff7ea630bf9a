"""The AWS emulator: moto's server, made strict where the platform needs AWS's behaviour.

``python -m emulator`` runs it (__main__.py); :class:`emulator.server.MotoServer` starts it from
Python; :class:`emulator.client.EmulatorClient` calls its own API (``/_dataplatform/*``);
router.py lists every emulation and the order they are installed in. README.md says what each
one enforces beyond moto.
"""

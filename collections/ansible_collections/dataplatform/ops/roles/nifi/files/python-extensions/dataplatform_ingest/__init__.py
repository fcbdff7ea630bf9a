"""The platform's NiFi Python processors (the nifi role installs this folder into NiFi's
python/extensions, and their dependencies from the platform's wheelhouse)."""

# Home Assistant installs probatio under the name `voluptuous` at runtime
# (probatio.compat.install_as_voluptuous), and its own type hints name probatio's classes.
# This stub lets `import voluptuous as vol` type-check as what actually runs.
from probatio import *  # noqa: F403

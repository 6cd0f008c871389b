"""The operator's command and the process supervisor of `make run`."""

import warnings

# eventlet announces its deprecation on import; nameko 2.14 needs it regardless.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

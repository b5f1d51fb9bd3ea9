"""The development stack: everything that exists only to simulate or develop the kiosk.

The simulated stack (`sim`), the private cupsd, the TEST municipal PKI, the SoftHSM2 seal token,
the software seal, the folder printer, the demo register and its personas. No product package
imports it (an import-linter contract holds this; `kiosk.demo` is the one declared exception, for
demo mode), and the production bundle leaves it out.
"""

import printing  # noqa: F401  (its warning filters hold before the software seal imports pyHanko)

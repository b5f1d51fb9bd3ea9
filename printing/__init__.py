"""Certificates: rendering (reportlab, PDF/A), the municipality's seal (pyHanko over PKCS#11),
printing (CUPS) and verification."""

import warnings

from cryptography.utils import CryptographyDeprecationWarning

# cryptography 51 deprecates DSA when its key type is imported, which pyHanko's signers do at
# import; no Borne key is DSA, and the warning would be a stray non-JSON line in the logs
warnings.filterwarnings(
    "ignore", message="DSA is deprecated", category=CryptographyDeprecationWarning
)

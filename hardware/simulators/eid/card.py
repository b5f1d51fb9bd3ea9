"""The applet of a virtual eID card: answers APDUs like BELPIC 1.7/1.8 over T=0.

Pure logic, no sockets: `EidApplet.process(apdu) -> response` and the power events. The transport
(`vicc.VirtualCard`) feeds it what vpcd sends.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from hardware.simulators.eid.image import (
    APPLET_AID,
    DF_BELPIC,
    DF_ID,
    KEY_AUTHENTICATION,
    KEY_SIGNATURE,
    MF,
    PKCS15_AID,
    CardImage,
)

log = logging.getLogger(__name__)

SW_OK = b"\x90\x00"
SW_WRONG_LENGTH = b"\x67\x00"
SW_SECURITY = b"\x69\x82"
SW_BLOCKED = b"\x69\x83"
SW_CONDITIONS = b"\x69\x85"
SW_NO_EF = b"\x69\x86"
SW_WRONG_DATA = b"\x6a\x80"
SW_NOT_FOUND = b"\x6a\x82"
SW_WRONG_P1P2 = b"\x6a\x86"  # SELECT, VERIFY, CHANGE REFERENCE DATA
SW_LC_INCONSISTENT = b"\x6a\x87"
SW_REFERENCE_NOT_FOUND = b"\x6a\x88"  # PIN or key reference unknown
SW_OFFSET = b"\x6b\x00"
SW_WRONG_PARAMETERS = b"\x6b\x00"  # READ BINARY, GET CARD DATA, MSE, PSO, INT. AUTH., LOG OFF
SW_INS = b"\x6d\x00"
SW_CLA = b"\x6e\x00"

MAX_TRIES = 3
DFS = (MF, DF_BELPIC, DF_ID)

# PSO:CDS input lengths by algorithm reference.
EC_HASH_LENGTHS = {0x01: (32,), 0x02: (48,), 0x04: (64,), 0x40: (20, 28, 32, 48, 64)}
RSA_PREHASHED: dict[int, hashes.HashAlgorithm] = {
    0x02: hashes.SHA1(),  # noqa: S303 - the 1.7 applet still offers it
    0x08: hashes.SHA256(),
}
RSA_RAW_PKCS1 = 0x01  # input is DigestInfo ‖ hash


@dataclass(frozen=True, slots=True, kw_only=True)
class Apdu:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes
    le: int | None  # None: no Le; 0 stands for 256 as on the wire


def parse_apdu(raw: bytes) -> Apdu | None:
    """Short APDUs only (the eID is T=0); None when the length is inconsistent."""
    if len(raw) < 4:
        return None
    cla, ins, p1, p2 = raw[:4]
    body = raw[4:]
    if not body:
        return Apdu(cla=cla, ins=ins, p1=p1, p2=p2, data=b"", le=None)
    if len(body) == 1:
        return Apdu(cla=cla, ins=ins, p1=p1, p2=p2, data=b"", le=body[0])
    lc = body[0]
    if len(body) == 1 + lc:
        return Apdu(cla=cla, ins=ins, p1=p1, p2=p2, data=bytes(body[1:]), le=None)
    if len(body) == 2 + lc:
        return Apdu(cla=cla, ins=ins, p1=p1, p2=p2, data=bytes(body[1:-1]), le=body[-1])
    return None


def _le(apdu: Apdu) -> int:
    return 256 if apdu.le in (None, 0) else int(apdu.le)


def decode_pin_block(block: bytes) -> str | None:
    """ISO 9564 format 2: `2N` then BCD digits padded with F; None when malformed."""
    if len(block) != 8 or block[0] >> 4 != 2:
        return None
    count = block[0] & 0x0F
    if not 4 <= count <= 12:
        return None
    nibbles = "".join(f"{byte:02X}" for byte in block[1:])
    digits, rest = nibbles[:count], nibbles[count:]
    if not digits.isdigit() or set(rest) - {"F"}:
        return None
    return digits


class EidApplet:
    """Card state: non-volatile (tries counter) and volatile (current file, PIN state, response)."""

    def __init__(self, image: CardImage) -> None:
        self.image = image
        self.tries_left = image.pin_tries
        self.pin = image.pin  # non-volatile: CHANGE REFERENCE DATA replaces it
        self._current_df = MF
        self._current_ef: int | None = None
        self._pin_verified = False
        self._pending = b""
        self._security_env: tuple[int, int] | None = None  # (algorithm, key reference)
        self._since_verify: int | None = None  # commands since the last successful VERIFY
        self._signature_used = False

    # -- power ---------------------------------------------------------------------------------
    @property
    def atr(self) -> bytes:
        return self.image.atr

    def reset(self) -> None:
        """Power off, power on and warm reset all lose the volatile state."""
        self._current_df = MF
        self._current_ef = None
        self._pin_verified = False
        self._pending = b""
        self._security_env = None
        self._since_verify = None
        self._signature_used = False

    @property
    def pin_verified(self) -> bool:
        return self._pin_verified

    # -- dispatch ------------------------------------------------------------------------------
    def process(self, raw: bytes) -> bytes:
        apdu = parse_apdu(raw)
        if apdu is None:
            return SW_WRONG_LENGTH
        if apdu.cla not in (0x00, 0x80):
            return SW_CLA
        handler = _HANDLERS.get((apdu.cla, apdu.ins))
        if handler is None:
            return SW_INS
        if apdu.ins != 0xC0:
            self._pending = b""
            if self._since_verify is not None:
                self._since_verify += 1
        return handler(self, apdu)

    # -- SELECT --------------------------------------------------------------------------------
    def _select(self, apdu: Apdu) -> bytes:
        if apdu.p2 not in (0x00, 0x0C):
            return SW_WRONG_P1P2
        if apdu.p1 == 0x04:
            if apdu.data == APPLET_AID:
                self._current_df, self._current_ef = MF, None
                return SW_OK
            if apdu.data == PKCS15_AID:
                self._current_df, self._current_ef = DF_BELPIC, None
                return SW_OK
            return SW_NOT_FOUND
        if apdu.p1 not in (0x02, 0x08):
            return SW_WRONG_P1P2
        if not apdu.data or len(apdu.data) % 2:
            return SW_LC_INCONSISTENT
        fids = [int.from_bytes(apdu.data[i : i + 2], "big") for i in range(0, len(apdu.data), 2)]
        if apdu.p1 == 0x02:
            if len(fids) != 1:
                return SW_LC_INCONSISTENT
            return self._select_fid(fids[0])
        if fids[0] == MF:
            fids = fids[1:]
        saved = (self._current_df, self._current_ef)
        self._current_df, self._current_ef = MF, None
        for fid in fids:
            if self._current_ef is not None or self._select_fid(fid) != SW_OK:
                self._current_df, self._current_ef = saved
                return SW_NOT_FOUND
        return SW_OK

    def _select_fid(self, fid: int) -> bytes:
        if fid == MF:
            self._current_df, self._current_ef = MF, None
            return SW_OK
        if fid in DFS and self._current_df == MF:
            self._current_df, self._current_ef = fid, None
            return SW_OK
        if (self._current_df, fid) in self.image.files:
            self._current_ef = fid
            return SW_OK
        return SW_NOT_FOUND

    # -- READ BINARY ---------------------------------------------------------------------------
    def _read_binary(self, apdu: Apdu) -> bytes:
        if self._current_ef is None:
            return SW_NO_EF
        if apdu.p1 & 0x80:
            return SW_WRONG_PARAMETERS
        content = self.image.files[(self._current_df, self._current_ef)]
        offset = (apdu.p1 << 8) | apdu.p2
        if offset >= len(content):
            return SW_OFFSET
        remaining = len(content) - offset
        wanted = _le(apdu)
        if wanted > remaining:
            return bytes([0x6C, remaining & 0xFF])
        return content[offset : offset + wanted] + SW_OK

    # -- proprietary ---------------------------------------------------------------------------
    def _get_card_data(self, apdu: Apdu) -> bytes:
        if apdu.p1 != 0x00 or apdu.p2 not in (0x00, 0x01):
            return SW_WRONG_PARAMETERS
        if apdu.p2 == 0x01:
            if self.image.applet_version < 0x18:
                return SW_WRONG_PARAMETERS
            answer = self.image.card_data + bytes([self.tries_left, 0xFF, 0xFF])
        else:
            answer = self.image.card_data
        if apdu.le is None or _le(apdu) != len(answer):
            return bytes([0x6C, len(answer)])
        return answer + SW_OK

    def _verify(self, apdu: Apdu) -> bytes:
        if apdu.p1 != 0x00:
            return SW_WRONG_P1P2
        if apdu.p2 != 0x01:
            return SW_REFERENCE_NOT_FOUND
        if not apdu.data:
            if self.tries_left == 0:
                return SW_BLOCKED
            if self._pin_verified:
                return SW_OK
            return bytes([0x63, 0xC0 | self.tries_left])
        if len(apdu.data) != 8:
            return SW_WRONG_LENGTH
        if self.tries_left == 0:
            return SW_BLOCKED
        pin = decode_pin_block(apdu.data)
        if pin is not None and pin == self.pin:
            self.tries_left = MAX_TRIES
            self._pin_verified = True
            self._since_verify = 0
            self._signature_used = False
            return SW_OK
        return self._wrong_pin()

    def _wrong_pin(self) -> bytes:
        self.tries_left -= 1
        self._pin_verified = False
        self._since_verify = None
        log.info("wrong PIN presented", extra={"tries_left": self.tries_left})
        return bytes([0x63, 0xC0 | self.tries_left])

    def _change_reference_data(self, apdu: Apdu) -> bytes:
        """CHANGE REFERENCE DATA `00 24 00 01 10 <current PIN block> <new PIN block>`."""
        if apdu.p1 != 0x00:
            return SW_WRONG_P1P2
        if apdu.p2 != 0x01:
            return SW_REFERENCE_NOT_FOUND
        if len(apdu.data) != 16:
            return SW_WRONG_LENGTH
        if self.tries_left == 0:
            return SW_BLOCKED
        current, new = decode_pin_block(apdu.data[:8]), decode_pin_block(apdu.data[8:])
        if current is None or current != self.pin:
            return self._wrong_pin()
        if new is None:
            return SW_WRONG_DATA
        self.pin = new
        self.tries_left = MAX_TRIES
        self._pin_verified = True
        self._since_verify = 0
        self._signature_used = False
        log.info("PIN changed")
        return SW_OK

    def _log_off(self, apdu: Apdu) -> bytes:
        if apdu.p1 != 0x00 or apdu.p2 != 0x00:
            return SW_WRONG_PARAMETERS
        self._pin_verified = False
        self._since_verify = None
        return SW_OK

    def _manage_security_environment(self, apdu: Apdu) -> bytes:
        """MSE:SET for PSO:CDS: `00 22 41 B6 05 04 80 <algo> 84 <key>`."""
        if apdu.p1 != 0x41 or apdu.p2 != 0xB6:
            return SW_WRONG_PARAMETERS
        data = apdu.data
        if len(data) != 5 or data[0] != 0x04 or data[1] != 0x80 or data[3] != 0x84:
            return SW_WRONG_DATA
        algorithm, key_reference = data[2], data[4]
        ecc = self.image.applet_version >= 0x18
        known = EC_HASH_LENGTHS if ecc else {**RSA_PREHASHED, RSA_RAW_PKCS1: None}
        if key_reference not in (KEY_AUTHENTICATION, KEY_SIGNATURE):
            self._security_env = None
            return SW_REFERENCE_NOT_FOUND
        if algorithm not in known:
            self._security_env = None
            return SW_WRONG_DATA
        self._security_env = (algorithm, key_reference)
        return SW_OK

    def _sign_allowed(self, key_reference: int) -> bool:
        """ "PIN once" for the authentication key; "just before" for the signature key."""
        if not self._pin_verified or self._since_verify is None:
            return False
        if key_reference == KEY_AUTHENTICATION:
            return True
        # VERIFY, at most one other command, then this PSO (the counter includes this PSO).
        return not self._signature_used and self._since_verify <= 2

    def _compute_signature(self, apdu: Apdu) -> bytes:
        """PSO:COMPUTE DIGITAL SIGNATURE `00 2A 9E 9A Lc <hash>` → 61xx."""
        if apdu.p1 != 0x9E or apdu.p2 != 0x9A:
            return SW_WRONG_PARAMETERS
        if self._security_env is None:
            return SW_CONDITIONS
        algorithm, key_reference = self._security_env
        key = self.image.citizen_keys.get(key_reference)
        if key is None:
            return SW_CONDITIONS
        if not self._sign_allowed(key_reference):
            return SW_SECURITY
        data = apdu.data
        if isinstance(key, ec.EllipticCurvePrivateKey):
            if len(data) not in EC_HASH_LENGTHS.get(algorithm, ()):
                return SW_WRONG_LENGTH
            der = key.sign(data, ec.ECDSA(utils.Prehashed(_hash_for_length(len(data)))))
            r, s = utils.decode_dss_signature(der)
            signature = r.to_bytes(48, "big") + s.to_bytes(48, "big")
        else:
            prehashed = RSA_PREHASHED.get(algorithm)
            if prehashed is not None:
                if len(data) != prehashed.digest_size:
                    return SW_WRONG_LENGTH
                signature = key.sign(data, padding.PKCS1v15(), utils.Prehashed(prehashed))
            else:
                signature = _rsa_raw_pkcs1(key, data)
                if not signature:
                    return SW_WRONG_DATA
        if key_reference == KEY_SIGNATURE:
            self._signature_used = True
        self._pending = signature
        return bytes([0x61, len(signature) & 0xFF])

    def _get_response(self, apdu: Apdu) -> bytes:
        if not self._pending:
            return SW_CONDITIONS
        wanted = _le(apdu)
        if wanted > len(self._pending):
            return bytes([0x6C, len(self._pending) & 0xFF])
        chunk, self._pending = self._pending[:wanted], self._pending[wanted:]
        if self._pending:
            return chunk + bytes([0x61, min(len(self._pending), 256) & 0xFF])
        return chunk + SW_OK

    def _internal_authenticate(self, apdu: Apdu) -> bytes:
        key = self.image.basic_key
        if key is None:
            return SW_INS
        if apdu.p2 != 0x81:
            return SW_REFERENCE_NOT_FOUND
        if apdu.p1 != 0x02:
            return SW_WRONG_PARAMETERS
        data = apdu.data
        if len(data) < 2 or data[0] != 0x94 or data[1] != len(data) - 2 or data[1] != 48:
            return SW_WRONG_DATA
        der = key.sign(data[2:], ec.ECDSA(utils.Prehashed(hashes.SHA384())))
        r, s = utils.decode_dss_signature(der)
        self._security_env = None  # INTERNAL AUTHENTICATE clears the current SE
        self._pending = r.to_bytes(48, "big") + s.to_bytes(48, "big")
        return bytes([0x61, len(self._pending)])


def _hash_for_length(length: int) -> hashes.HashAlgorithm:
    """ECDSA over a given hash value: the digest type only tells its size."""
    by_length: dict[int, hashes.HashAlgorithm] = {
        20: hashes.SHA1(),  # noqa: S303 - size marker only
        28: hashes.SHA224(),
        32: hashes.SHA256(),
        48: hashes.SHA384(),
        64: hashes.SHA512(),
    }
    return by_length[length]


def _rsa_raw_pkcs1(key: rsa.RSAPrivateKey, digest_info: bytes) -> bytes:
    """PKCS#1 v1.5 type 1 padding over a caller-built DigestInfo ‖ hash (algorithm 01)."""
    size = key.key_size // 8
    if len(digest_info) > size - 11:
        return b""
    block = b"\x00\x01" + b"\xff" * (size - 3 - len(digest_info)) + b"\x00" + digest_info
    numbers = key.private_numbers()
    value = pow(int.from_bytes(block, "big"), numbers.d, numbers.public_numbers.n)
    return value.to_bytes(size, "big")


_HANDLERS = {
    (0x00, 0xA4): EidApplet._select,
    (0x00, 0xB0): EidApplet._read_binary,
    (0x80, 0xE4): EidApplet._get_card_data,
    (0x00, 0x20): EidApplet._verify,
    (0x00, 0x24): EidApplet._change_reference_data,
    (0x80, 0xE6): EidApplet._log_off,
    (0x00, 0xC0): EidApplet._get_response,
    (0x00, 0x88): EidApplet._internal_authenticate,
    (0x00, 0x22): EidApplet._manage_security_environment,
    (0x00, 0x2A): EidApplet._compute_signature,
}

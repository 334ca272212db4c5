from dataclasses import replace

import pytest

from wasmote.package.container import AotCode, Package, Signature
from wasmote.package.errors import SignatureError
from wasmote.package.keys import generate_private_key, public_key_bytes, sign_package
from wasmote.package.manifest import Version
from wasmote.package.policy import Device, InstallRefused, check_install

from .helpers import EMPTY_WASM, sample_manifest

KEY = generate_private_key()
PUB = public_key_bytes(KEY)
OTHER = generate_private_key()


def _pkg(version: tuple[int, int, int] = (2, 0, 1),
         aot: tuple[AotCode, ...] = ()) -> Package:
    return Package(sample_manifest(version=Version(*version)), EMPTY_WASM, aot=aot)


def test_unprovisioned_accepts_unsigned_and_says_so():
    d = check_install(_pkg(), Device())
    assert d.notes == ("unprovisioned device: unsigned package accepted",)


def test_unprovisioned_refuses_bad_signature():
    signed = sign_package(_pkg(), KEY)
    assert signed.signature is not None
    forged = signed.with_signature(replace(signed.signature, signature=b"\0" * 64))
    with pytest.raises(SignatureError, match="does not verify"):
        check_install(forged, Device())
    assert "not checked" in check_install(signed, Device()).notes[0]


def test_provisioned_refuses_unsigned_untrusted_and_tampered():
    device = Device(trusted_keys=[PUB])
    with pytest.raises(SignatureError, match="not signed"):
        check_install(_pkg(), device)
    with pytest.raises(SignatureError, match="not a trusted key"):
        check_install(sign_package(_pkg(), OTHER), device)
    signed = sign_package(_pkg(), KEY)
    tampered = replace(signed, manifest=sample_manifest(name="evil"))
    with pytest.raises(SignatureError, match="does not verify"):
        check_install(tampered, device)
    assert check_install(signed, device).notes == ()


def test_replayed_old_version_refused():
    device = Device(trusted_keys=[PUB], pinned={"sensor-1": Version(2, 0, 1)})
    check_install(sign_package(_pkg((2, 0, 1)), KEY), device)   # same version: idempotent
    check_install(sign_package(_pkg((2, 1, 0)), KEY), device)   # upgrade
    with pytest.raises(InstallRefused, match=r"version 2\.0\.0 is older than the installed "
                                             r"2\.0\.1 \(replay refused\)"):
        check_install(sign_package(_pkg((2, 0, 0)), KEY), device)


def test_aot_only_when_signed_by_provisioned_key_and_abi_matches():
    code = AotCode(1, 3, b"\x70\x47")
    pkg = _pkg(aot=(code,))
    assert check_install(pkg, Device(arch=1, aot_abi=3)).aot is None
    d = check_install(sign_package(pkg, KEY), Device([PUB], arch=1, aot_abi=3))
    assert d.aot == code
    d = check_install(sign_package(pkg, KEY), Device([PUB], arch=1, aot_abi=4))
    assert d.aot is None and "ABI version 3" in d.notes[0]
    assert check_install(sign_package(pkg, KEY), Device([PUB], arch=2, aot_abi=3)).aot is None


def test_signature_algorithm_unknown_is_invalid():
    signed = sign_package(_pkg(), KEY)
    odd = signed.with_signature(Signature(PUB, signed.signature.signature if signed.signature
                                          else b"", algorithm=7))
    with pytest.raises(SignatureError):
        check_install(odd, Device([PUB]))

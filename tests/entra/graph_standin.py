"""A stand-in for Microsoft Graph (v1.0) and the Microsoft identity platform's
token endpoint, on 127.0.0.1, for fidoctl's `entra` tests.

    graph_standin.py SCENARIO.json LOG.jsonl
    graph_standin.py --make-certificate DIR

prints "listening on PORT" and serves until killed. SCENARIO says the tenant:
its FIDO2 policy, users (id, displayName, groups, registered methods), the
bearer token Graph accepts, app credentials, and refusals to inject. Every
request is appended to LOG as one JSON line (method, path, body; never the
token), and so is every registration's verification.

Shapes follow shared/entra/README.md (Graph's documentation, `@odata.type`
members on every nested object). A registration is not trusted: it is
checked with python-fido2's Fido2Server.register_complete (clientDataJSON
type, origin https://RP_ID, the challenge given for that user, RP id hash,
UP and UV flags) with the attestation statement's signature verified, and
refused as Graph refuses it: a model the user's profile does not allow, a
key without attestation where attestation is enforced, self-service setup
off (the documented known issue), a challenge used or unknown.
"""

import datetime
import json
import os
import secrets
import sys
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fido2.attestation import Attestation
from fido2.server import Fido2Server
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import AttestationObject, CollectedClientData

POLICY_PATH = "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2"
FIDO2_TYPE = "#microsoft.graph.fido2AuthenticationMethodConfiguration"
RP = {"id": "login.microsoft.com", "name": "Microsoft"}

LOCK = threading.Lock()


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Tenant:
    def __init__(self, scenario, log_path):
        self.s = scenario
        self.log_path = log_path
        self.policy = scenario["policy"]
        self.users = scenario.get("users", {})
        self.token = scenario.get("token", "test-token")
        self.challenges = {}  # challenge -> (upn, expiry)
        self.device_codes = {}  # device_code -> polls left before the token
        for upn, u in self.users.items():
            u.setdefault("methods", [])
            u.setdefault("id", str(uuid.uuid5(uuid.NAMESPACE_URL, upn)))

    def log(self, entry):
        with open(self.log_path, "a", encoding="utf8") as f:
            f.write(json.dumps(entry) + "\n")

    def user(self, key):
        key = urllib.parse.unquote(key)
        for upn, u in self.users.items():
            if key.lower() in (upn.lower(), u["id"]):
                return upn, u
        return None, None

    # --- policy: which profiles apply, and whether they allow a model ---

    def profiles_for(self, user):
        groups = set(user.get("groups", [])) | {"all_users"}
        ids = []
        for t in self.policy.get("includeTargets", []):
            if t.get("id") in groups:
                ids += t.get("allowedPasskeyProfiles", [])
        return [p for p in self.policy.get("passkeyProfiles", []) if p["id"] in ids]

    @staticmethod
    def allows(restrictions, aaguid):
        if not restrictions or not restrictions.get("isEnforced"):
            return True
        listed = aaguid.lower() in [a.lower() for a in restrictions.get("aaGuids", [])]
        return listed if restrictions.get("enforcementType", "allow") == "allow" else not listed

    def refusal_for(self, user, aaguid, fmt):
        """What Graph would say against this model for this user, or None."""
        if self.policy.get("passkeyProfiles"):
            usable = [p for p in self.profiles_for(user) if "deviceBound" in p.get("passkeyTypes", "")]
            allowing = [p for p in usable if self.allows(p.get("keyRestrictions"), aaguid)]
            if not allowing:
                return "The security key's AAGUID is not allowed by the passkey profile that applies to the user."
            if fmt == "none" and all(p.get("attestationEnforcement") == "registrationOnly" for p in allowing):
                return "Attestation is enforced and the security key gave none."
            return None
        if not self.allows(self.policy.get("keyRestrictions"), aaguid):
            return "The security key's AAGUID is not allowed by the FIDO2 policy."
        if fmt == "none" and self.policy.get("isAttestationEnforced"):
            return "Attestation is enforced and the security key gave none."
        return None


def error(code, message):
    return {"error": {"code": code, "message": message, "innerError": {"date": iso(now()), "request-id": str(uuid.uuid4())}}}


def verify_attestation(attestation_object, client_data_hash):
    """The statement's signature and certificate requirements, by python-fido2
    (an unknown format raises UnsupportedType)."""
    verifier = Attestation.for_type(attestation_object.fmt)()
    verifier.verify(attestation_object.att_stmt, attestation_object.auth_data, client_data_hash)


def check_assertion(kind, jwt, app, token_url):
    """A client assertion (RFC 7523) as the identity platform checks it:
    RS256 by the registered certificate's key, named by its SHA-256
    thumbprint, for this app, for this token endpoint, not expired.
    The reason it fails, or None."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    if kind != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
        return "client_assertion_type"
    try:
        h, c, sig = jwt.split(".")
        header = json.loads(websafe_decode(h))
        claims = json.loads(websafe_decode(c))
    except ValueError:
        return "not a JWT"
    cert = x509.load_pem_x509_certificate(app["certificate"].encode())
    if header.get("alg") != "RS256":
        return "alg"
    if header.get("x5t#S256") != websafe_encode(cert.fingerprint(hashes.SHA256())):
        return "x5t#S256 names another certificate"
    try:
        cert.public_key().verify(websafe_decode(sig), f"{h}.{c}".encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return "signature"
    if claims.get("aud") != token_url:
        return f"aud {claims.get('aud')} is not {token_url}"
    if claims.get("iss") != app["client_id"] or claims.get("sub") != app["client_id"]:
        return "iss/sub"
    if not claims.get("exp") or claims["exp"] < now().timestamp():
        return "expired"
    return None


def make_certificate(directory):
    """An app's self-signed certificate: DIR/app.pem (certificate and PKCS#8
    key, what --certificate takes) and DIR/cert.pem (what the app registration holds)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fidoctl test app")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now() - datetime.timedelta(days=1))
        .not_valid_after(now() + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    open(os.path.join(directory, "cert.pem"), "wb").write(cert_pem)
    open(os.path.join(directory, "app.pem"), "wb").write(cert_pem + key_pem)


class Handler(BaseHTTPRequestHandler):
    tenant: Tenant = None

    def log_message(self, *args):
        pass

    def reply(self, status, body=None, headers=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def handle_any(self, method):
        t = self.tenant
        raw = self.body()
        path = urllib.parse.urlsplit(self.path).path
        entry = {"method": method, "path": path}
        if raw:
            try:
                entry["body"] = json.loads(raw)
            except ValueError:
                form = urllib.parse.parse_qs(raw.decode())
                entry["form"] = {k: v[0] for k, v in form.items() if k not in ("client_secret", "client_assertion")}
                entry["form_keys"] = sorted(form)
        with LOCK:
            t.log(entry)
            if "/oauth2/v2.0/" in path:
                return self.oauth(path, urllib.parse.parse_qs(raw.decode()))
            # Injected refusals: {"METHOD substring": {"status": N, ...}}
            for key, fault in t.s.get("faults", {}).items():
                m, _, part = key.partition(" ")
                if m == method and part in path and fault.get("times", 1) > 0:
                    fault["times"] = fault.get("times", 1) - 1
                    headers = {}
                    if "retry_after" in fault:
                        headers["Retry-After"] = str(fault["retry_after"])
                    return self.reply(fault["status"], error(fault.get("code", "injected"), fault.get("message", "injected")), headers)
            if self.headers.get("Authorization") != f"Bearer {t.token}":
                return self.reply(401, error("InvalidAuthenticationToken", "Access token is empty or invalid."))
            return self.graph(method, path, entry.get("body"))

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PATCH(self):
        self.handle_any("PATCH")

    # --- the token endpoint ---

    def oauth(self, path, form):
        t = self.tenant
        get = lambda k: (form.get(k) or [None])[0]
        app = t.s.get("app", {})
        if path.endswith("/devicecode"):
            if get("client_id") != app.get("client_id"):
                return self.reply(400, {"error": "unauthorized_client", "error_description": "AADSTS700016: Application not found."})
            code = secrets.token_urlsafe(16)
            t.device_codes[code] = 1
            return self.reply(200, {
                "device_code": code,
                "user_code": "FIDOCTL1",
                "verification_uri": "https://microsoft.com/devicelogin",
                "expires_in": 900,
                "interval": 1,
                "message": "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code FIDOCTL1 to authenticate.",
            })
        if not path.endswith("/token"):
            return self.reply(404, {"error": "not_found"})
        grant = get("grant_type")
        token = {"token_type": "Bearer", "expires_in": 3599, "access_token": t.token}
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            left = t.device_codes.get(get("device_code"))
            if left is None:
                return self.reply(400, {"error": "expired_token", "error_description": "AADSTS70020: The provided value for the input parameter 'device_code' is not valid."})
            if left > 0:
                t.device_codes[get("device_code")] = left - 1
                return self.reply(400, {"error": "authorization_pending", "error_description": "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending."})
            del t.device_codes[get("device_code")]
            return self.reply(200, dict(token, scope=get("scope") or ""))
        if grant == "client_credentials":
            if get("scope") != "https://graph.microsoft.com/.default":
                return self.reply(400, {"error": "invalid_scope", "error_description": "AADSTS1002012: The provided value for scope is not valid."})
            if get("client_id") != app.get("client_id"):
                return self.reply(400, {"error": "unauthorized_client", "error_description": "AADSTS700016: Application not found."})
            if get("client_assertion") is not None:
                why = check_assertion(get("client_assertion_type"), get("client_assertion"), app, f"http://{self.headers['Host']}{path}")
                if why:
                    t.log({"assertion": False, "reason": why})
                    return self.reply(401, {"error": "invalid_client", "error_description": f"AADSTS700027: Client assertion failed signature validation ({why})."})
                t.log({"assertion": True})
                return self.reply(200, token)
            if get("client_secret") != app.get("client_secret"):
                return self.reply(401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."})
            return self.reply(200, token)
        return self.reply(400, {"error": "unsupported_grant_type"})

    # --- Graph ---

    def graph(self, method, path, body):
        t = self.tenant
        if path == POLICY_PATH:
            if method == "GET":
                return self.reply(200, dict(t.policy, **{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#policies/authenticationMethodsPolicy/authenticationMethodConfigurations/$entity"}))
            if method == "PATCH":
                if not isinstance(body, dict) or body.get("@odata.type") != FIDO2_TYPE:
                    return self.reply(400, error("BadRequest", "The @odata.type of the FIDO2 method configuration must be in the body."))
                for k, v in body.items():
                    if k != "@odata.type":
                        t.policy[k] = v  # a PATCH replaces each member it names, collections whole
                return self.reply(204)
        parts = path.split("/")
        # /v1.0/users/{id}/authentication/fido2Methods[/creationOptions]
        if len(parts) >= 4 and parts[1] == "v1.0" and parts[2] == "users":
            upn, user = t.user(parts[3])
            if user is None:
                return self.reply(404, error("Request_ResourceNotFound", f"Resource '{urllib.parse.unquote(parts[3])}' does not exist or one of its queried reference-property objects are not present."))
            rest = "/".join(parts[4:])
            if rest == "transitiveMemberOf" and method == "GET":
                return self.reply(200, {"value": [{"@odata.type": "#microsoft.graph.group", "id": g} for g in user.get("groups", [])]})
            if rest == "authentication/fido2Methods/creationOptions" and method == "GET":
                return self.creation_options(upn, user)
            if rest == "authentication/fido2Methods" and method == "GET":
                return self.reply(200, {"value": [{k: v for k, v in m.items() if not k.startswith("_")} for m in user["methods"]]})
            if rest == "authentication/fido2Methods" and method == "POST":
                return self.register(upn, user, body)
        return self.reply(404, error("BadRequest", f"Resource not found for the segment in {path}."))

    def creation_options(self, upn, user):
        t = self.tenant
        if not t.policy.get("isSelfServiceRegistrationAllowed", True):
            return self.reply(400, error("badRequest", "FIDO2 provisioning requires 'Allow self-service setup' in the FIDO2 authentication method policy."))
        challenge = websafe_encode(secrets.token_bytes(32))
        expiry = now() + datetime.timedelta(minutes=5)
        t.challenges[challenge] = (upn, expiry)
        typed = lambda kind, **kw: dict({"@odata.type": f"#microsoft.graph.{kind}"}, **kw)
        exclude = [typed("webauthnPublicKeyCredentialDescriptor", type="public-key", id=m["_credentialId"], transports=[]) for m in user["methods"] if "_credentialId" in m]
        options = typed(
            "webauthnCredentialCreationOptions",
            challengeTimeoutDateTime=iso(expiry),
            publicKey=typed(
                "webauthnPublicKeyCredentialCreationOptions",
                rp=typed("webauthnPublicKeyCredentialRpEntity", **RP),
                user=typed("webauthnPublicKeyCredentialUserEntity", id=websafe_encode(user["id"].encode()), name=upn, displayName=user.get("displayName", upn)),
                challenge=challenge,
                pubKeyCredParams=[typed("webauthnPublicKeyCredentialParameters", type="public-key", alg=a) for a in (-7, -257)],
                timeout=300000,
                excludeCredentials=exclude,
                authenticatorSelection=typed("webauthnAuthenticatorSelectionCriteria", authenticatorAttachment="cross-platform", requireResidentKey=True, userVerification="required"),
                attestation="direct",
                extensions=typed("webauthnAuthenticationExtensionsClientInputs", hmacCreateSecret=True, enforceCredentialProtectionPolicy=True, credentialProtectionPolicy="userVerificationOptional"),
            ),
        )
        return self.reply(200, options)

    def register(self, upn, user, body):
        t = self.tenant

        def refuse(message, status=400, code="badRequest"):
            t.log({"verified": False, "user": upn, "reason": message})
            return self.reply(status, error(code, message))

        try:
            if body.get("@odata.type") not in (None, "#microsoft.graph.fido2AuthenticationMethod"):
                return refuse("Wrong @odata.type.")
            cred = body["publicKeyCredential"]
            response = cred["response"]
            client_data = CollectedClientData(websafe_decode(response["clientDataJSON"]))
            att = AttestationObject(websafe_decode(response["attestationObject"]))
        except (KeyError, TypeError, ValueError) as e:
            return refuse(f"The request is missing a valid fido2AuthenticationMethod entity ({e}).")
        if not t.policy.get("isSelfServiceRegistrationAllowed", True):
            return refuse("FIDO2 provisioning requires 'Allow self-service setup' in the FIDO2 authentication method policy.")
        challenge = websafe_encode(client_data.challenge)
        given = t.challenges.pop(challenge, None)
        if given is None or given[0] != upn:
            return refuse("The challenge is unknown, was already used, or was issued for another user.")
        if given[1] < now():
            return refuse("The challenge has expired.")
        server = Fido2Server(RP, attestation="direct", verify_attestation=verify_attestation)
        state = {"challenge": challenge, "user_verification": "required"}
        try:
            auth_data = server.register_complete(state, {
                "id": cred["id"],
                "rawId": cred["id"],
                "type": "public-key",
                "response": {"clientDataJSON": response["clientDataJSON"], "attestationObject": response["attestationObject"]},
                "clientExtensionResults": {k: v for k, v in (cred.get("clientExtensionResults") or {}).items() if not k.startswith("@")},
            })
        except Exception as e:  # python-fido2's refusals are ValueError, InvalidSignature, ...
            return refuse(f"The passkey could not be verified: {type(e).__name__}: {e}")
        cd = auth_data.credential_data
        if websafe_decode(cred["id"]) != cd.credential_id:
            return refuse("publicKeyCredential.id is not the credential in the attestation object.")
        aaguid = str(uuid.UUID(bytes=bytes(cd.aaguid)))
        reason = t.refusal_for(user, aaguid, att.fmt)
        if reason:
            return refuse(reason)
        if any(m.get("_credentialId") == cred["id"] for m in user["methods"]):
            return refuse("This passkey is already registered.", 409, "conflict")
        for key, fault in t.s.get("refuse_after_verification", {}).items():
            if key == upn and fault.get("times", 1) > 0:
                fault["times"] = fault.get("times", 1) - 1
                t.log({"verified": True, "user": upn, "refused_anyway": fault["status"]})
                return self.reply(fault["status"], error(fault.get("code", "serviceUnavailable"), fault.get("message", "injected")))
        method = {
            "@odata.type": "#microsoft.graph.fido2AuthenticationMethod",
            "id": str(uuid.uuid4()),
            "displayName": body.get("displayName") or "Security key",
            "createdDateTime": iso(now()),
            "aaGuid": aaguid,
            "model": t.s.get("models", {}).get(aaguid, ""),
            "attestationCertificates": [],
            "attestationLevel": "notAttested" if att.fmt == "none" else "attested",
            "passkeyType": "deviceBound",
        }
        user["methods"].append(dict(method, _credentialId=cred["id"]))
        t.log({
            "verified": True,
            "user": upn,
            "method": method["id"],
            "aaguid": aaguid,
            "fmt": att.fmt,
            "uv": auth_data.is_user_verified(),
            "credential_id": cred["id"],
            "origin": client_data.origin,
            "user_handle_ok": True,
            "client_extension_results": cred.get("clientExtensionResults"),
        })
        return self.reply(201, method)


def main():
    if sys.argv[1] == "--make-certificate":
        return make_certificate(sys.argv[2])
    scenario = json.load(open(sys.argv[1], encoding="utf8"))
    Handler.tenant = Tenant(scenario, sys.argv[2])
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

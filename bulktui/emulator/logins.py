"""Login endpoints for the one configured user: SOAP ``login()`` and ``/services/oauth2/token``
(password, refresh_token, JWT bearer, client_credentials, and the device flow).

Device flow: ``response_type=device_code`` starts it; polls with ``grant_type=device`` answer
``authorization_pending`` until the code is approved, either by ``POST
/_emulator/device/approve`` or by itself after ``EngineConfig.device_auto_approve_polls``
pending polls (2 by default; None turns that off).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bulktui.api.errors import ResponseFormatError
from bulktui.api.wire import load_xml
from bulktui.emulator.engine import Engine, UserInfo
from bulktui.emulator.responses import json_value, oauth_error, raw

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JWT_MAX_AHEAD = 190  # Salesforce wants exp at most 3 minutes ahead; 10 s of clock skew
INVALID_LOGIN = "Invalid username, password, security token; or user locked out."
MUST_USE_TOKEN = (
    "Invalid username, password, security token; or user locked out. Are you at a new "
    "location? When accessing Salesforce--either via a desktop client or the API--from outside "
    "of your company's trusted networks, you must add a security token to your password to log in."
)


class LoginRoutes:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def routes(self) -> list[Route]:
        return [
            Route("/services/Soap/u/{v}", self.soap_login, methods=["POST"]),
            Route("/services/Soap/u/{v}/", self.soap_login, methods=["POST"]),
            Route("/services/oauth2/token", self.token, methods=["POST"]),
        ]

    def _base(self, request: Request) -> str:
        return str(request.base_url).rstrip("/")

    # ------------------------------------------------------------------ SOAP

    async def soap_login(self, request: Request) -> Response:
        engine = self.engine
        engine.stats["POST /services/Soap/u/{v}"] += 1
        version = request.path_params["v"]
        try:
            number = float(version)
        except ValueError:
            number = 0.0
        if number < engine.config.min_api_version:
            return _soap_fault("UNSUPPORTED_API_VERSION", "Invalid Api version specified on URL")
        if number > engine.config.soap_login_max_version:
            return _soap_fault(
                "INVALID_OPERATION",
                f"SOAP API login() is not supported in API version {version} and later. "
                "Use OAuth instead.",
            )
        try:
            doc = load_xml(await request.body())
        except ResponseFormatError as exc:
            return _soap_fault("INVALID_LOGIN", exc.message, client=True)
        login = _find(doc, "login")
        username = str(_find(login, "username") or "")
        password = str(_find(login, "password") or "")
        verdict = self._check_password(username, password)
        if verdict is not None:
            return _soap_fault(*verdict)
        user = engine.default_user
        session = engine.issue_session(user.id)
        return raw(self._login_envelope(request, version, user, session), "text/xml; charset=utf-8")

    def _check_password(self, username: str, password: str) -> tuple[str, str] | None:
        login = self.engine.login
        if username.lower() != login.username.lower():
            return "INVALID_LOGIN", INVALID_LOGIN
        if password == login.password + login.security_token:
            return None
        if password == login.password:
            if not login.require_security_token:
                return None
            return "LOGIN_MUST_USE_SECURITY_TOKEN", MUST_USE_TOKEN
        return "INVALID_LOGIN", INVALID_LOGIN

    def _login_envelope(self, request: Request, version: str, user: UserInfo, session: str) -> str:
        engine = self.engine
        base = self._base(request)
        org15 = engine.org_id[:15]
        info = {
            "accessibilityMode": "false",
            "currencySymbol": "£",
            "orgAttachmentFileSizeLimit": "5242880",
            "orgDefaultCurrencyIsoCode": "GBP",
            "orgDisallowHtmlAttachments": "false",
            "orgHasPersonAccounts": "false",
            "organizationId": engine.org_id,
            "organizationMultiCurrency": "false",
            "organizationName": engine.config.org_name,
            "profileId": "00e5g000001AbCdAAK",
            "roleId": None,
            "sessionSecondsValid": str(engine.config.session_seconds),
            "userDefaultCurrencyIsoCode": None,
            "userEmail": user.email,
            "userFullName": user.name,
            "userId": user.id,
            "userLanguage": "en_US",
            "userLocale": "en_GB",
            "userName": user.username,
            "userTimeZone": "Europe/London",
            "userType": "Standard",
            "userUiSkin": "Theme3",
        }
        user_info = "".join(
            f'<{k} xsi:nil="true"/>' if v is None else f"<{k}>{escape(v)}</{k}>"
            for k, v in info.items()
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns="urn:partner.soap.sforce.com" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            "<soapenv:Body><loginResponse><result>"
            f"<metadataServerUrl>{base}/services/Soap/m/{version}/{org15}</metadataServerUrl>"
            "<passwordExpired>false</passwordExpired>"
            "<sandbox>false</sandbox>"
            f"<serverUrl>{base}/services/Soap/u/{version}/{org15}</serverUrl>"
            f"<sessionId>{escape(session)}</sessionId>"
            f"<userId>{user.id}</userId>"
            f"<userInfo>{user_info}</userInfo>"
            "</result></loginResponse></soapenv:Body></soapenv:Envelope>"
        )

    # ------------------------------------------------------------------ OAuth

    async def token(self, request: Request) -> Response:
        self.engine.stats["POST /services/oauth2/token"] += 1
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        _basic_client(request, form)
        grant = form.get("grant_type")
        if grant is None and form.get("response_type") == "device_code":
            return self._device_start(request, form)
        handler = {
            "password": self._password,
            "refresh_token": self._refresh,
            JWT_GRANT: self._jwt,
            "client_credentials": self._client_credentials,
            "device": self._device_poll,
        }.get(grant or "")
        if grant is None:
            return oauth_error("invalid_request", "grant type is missing")
        if handler is None:
            return oauth_error("unsupported_grant_type", "grant type not supported")
        return handler(request, form)

    def _client_problem(self, form: dict[str, str], *, secret_required: bool) -> Response | None:
        login = self.engine.login
        if form.get("client_id") != login.client_id:
            return oauth_error("invalid_client_id", "client identifier invalid")
        secret = form.get("client_secret")
        if (secret_required or secret is not None) and secret != login.client_secret:
            return oauth_error("invalid_client", "invalid client credentials")
        return None

    def _tokens(
        self, request: Request, user: UserInfo, *, refresh: bool = False, scope: str | None = None
    ) -> Response:
        engine = self.engine
        base = self._base(request)
        identity = f"{base}/id/{engine.org_id}/{user.id}"
        issued_at = str(int(engine.now().timestamp() * 1000))
        digest = hmac.new(
            engine.login.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256
        ).digest()
        body: dict[str, Any] = {
            "access_token": engine.issue_session(user.id),
            "instance_url": base,
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
            "signature": base64.b64encode(digest).decode(),
        }
        if scope:
            body["scope"] = scope
        if refresh:
            body["refresh_token"] = engine.sessions.issue_refresh(user.id)
        return json_value(body)

    def _password(self, request: Request, form: dict[str, str]) -> Response:
        problem = self._client_problem(form, secret_required=True)
        if problem:
            return problem
        verdict = self._check_password(form.get("username", ""), form.get("password", ""))
        if verdict is not None:
            return oauth_error("invalid_grant", "authentication failure")
        return self._tokens(request, self.engine.default_user)

    def _refresh(self, request: Request, form: dict[str, str]) -> Response:
        problem = self._client_problem(form, secret_required=False)
        if problem:
            return problem
        user_id = self.engine.sessions.refresh_user(form.get("refresh_token", ""))
        user = self.engine.users.get(user_id) if user_id else None
        if user is None:
            return oauth_error("invalid_grant", "expired access/refresh token")
        return self._tokens(request, user, scope="api refresh_token")

    def _client_credentials(self, request: Request, form: dict[str, str]) -> Response:
        problem = self._client_problem(form, secret_required=True)
        if problem:
            return problem
        return self._tokens(request, self.engine.default_user, scope="api")

    def _jwt(self, request: Request, form: dict[str, str]) -> Response:
        engine = self.engine
        pem = engine.login.jwt_public_key_pem
        assertion = form.get("assertion", "")
        if not pem:
            return oauth_error("invalid_grant", "invalid assertion")
        try:
            claims = jwt.decode(
                assertion,
                _public_key(pem),
                algorithms=["RS256"],
                # exp is checked against the engine clock below, not the wall clock.
                options={"verify_exp": False, "verify_aud": False, "verify_iss": False},
            )
        except (jwt.InvalidTokenError, ValueError):
            return oauth_error("invalid_grant", "invalid assertion")
        if claims.get("iss") != engine.login.client_id:
            return oauth_error("invalid_client_id", "client identifier invalid")
        audiences = claims.get("aud")
        audiences = audiences if isinstance(audiences, list) else [audiences]
        accepted = {*engine.config.jwt_audiences, self._base(request)}
        if not any(isinstance(a, str) and a.rstrip("/") in accepted for a in audiences):
            return oauth_error("invalid_grant", "audience is invalid")
        exp = claims.get("exp")
        now = engine.now().timestamp()
        if not isinstance(exp, int | float) or exp <= now or exp > now + JWT_MAX_AHEAD:
            return oauth_error("invalid_grant", "invalid assertion")
        subject = claims.get("prn") or claims.get("sub")
        user = next(
            (
                u
                for u in engine.users.values()
                if isinstance(subject, str) and u.username.lower() == subject.lower()
            ),
            None,
        )
        if user is None or user.id != engine.default_user.id:
            return oauth_error("invalid_grant", "user hasn't approved this consumer")
        return self._tokens(request, user, scope="api")

    def _device_start(self, request: Request, form: dict[str, str]) -> Response:
        if form.get("client_id") != self.engine.login.client_id:
            return oauth_error("invalid_client_id", "client identifier invalid")
        code = self.engine.sessions.start_device(form["client_id"], self.engine.now())
        return json_value(
            {
                "device_code": code.device_code,
                "user_code": code.user_code,
                "verification_uri": f"{self._base(request)}/setup/connect",
                "interval": 5,
            }
        )

    def _device_poll(self, request: Request, form: dict[str, str]) -> Response:
        engine = self.engine
        if form.get("client_id") != engine.login.client_id:
            return oauth_error("invalid_client_id", "client identifier invalid")
        code = engine.sessions.device(form.get("code", ""))
        if code is None or code.used:
            return oauth_error("invalid_grant", "invalid device code")
        if code.expires_at <= engine.now():
            return oauth_error("expired_token", "device code expired")
        if not code.approved:
            code.polls += 1
            limit = engine.config.device_auto_approve_polls
            if limit is None or code.polls <= limit:
                return oauth_error("authorization_pending", "authorization pending")
            code.approved = True
        code.used = True
        return self._tokens(request, engine.default_user, refresh=True, scope="api refresh_token")


def _public_key(pem: str) -> Any:
    data = pem.encode()
    if b"BEGIN CERTIFICATE" in data:
        return x509.load_pem_x509_certificate(data).public_key()
    return load_pem_public_key(data)


def _basic_client(request: Request, form: dict[str, str]) -> None:
    """client_credentials may carry the client id and secret as HTTP Basic."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return
    try:
        client_id, _, secret = base64.b64decode(value).decode().partition(":")
    except ValueError:
        return
    form.setdefault("client_id", client_id)
    form.setdefault("client_secret", secret)


def _find(node: Any, name: str) -> Any:
    """Depth-first search for an element by local name (namespace prefixes vary by client)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.split(":")[-1] == name:
                return value.get("#text") if isinstance(value, dict) and "#text" in value else value
        for value in node.values():
            found = _find(value, name)
            if found is not None:
                return found
    return None


def _soap_fault(code: str, message: str, *, client: bool = False) -> Response:
    del client
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:sf="urn:fault.partner.soap.sforce.com" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<soapenv:Body><soapenv:Fault>"
        f"<faultcode>sf:{code}</faultcode>"
        f"<faultstring>{code}: {escape(message)}</faultstring>"
        '<detail><sf:LoginFault xsi:type="sf:LoginFault">'
        f"<sf:exceptionCode>{code}</sf:exceptionCode>"
        f"<sf:exceptionMessage>{escape(message)}</sf:exceptionMessage>"
        "</sf:LoginFault></detail>"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )
    return raw(body, "text/xml; charset=utf-8", 500)

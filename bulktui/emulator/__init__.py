"""A faithful local Salesforce Bulk API 1.0 and 2.0 (plus the REST and login pieces real
clients need): an engine with an injectable clock, a Starlette app and a uvicorn server.
No Textual here."""

from bulktui.emulator.app import create_app
from bulktui.emulator.clock import Clock, ManualClock, SystemClock
from bulktui.emulator.config import EngineConfig, LoginConfig
from bulktui.emulator.demo import seed_demo
from bulktui.emulator.engine import Engine, UserInfo
from bulktui.emulator.faults import FaultSpec
from bulktui.emulator.server import EmulatorServer
from bulktui.emulator.state import EmulatorError

__all__ = [
    "Clock",
    "EmulatorError",
    "EmulatorServer",
    "Engine",
    "EngineConfig",
    "FaultSpec",
    "LoginConfig",
    "ManualClock",
    "SystemClock",
    "UserInfo",
    "create_app",
    "seed_demo",
]

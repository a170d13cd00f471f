"""The project model finds every way a FastAPI route is declared."""

from __future__ import annotations

from pathlib import Path

from .helpers import analyse

ROUTES = {
    "app/routers.py": '''
        from fastapi import APIRouter, FastAPI

        class VersionedRouter(APIRouter):
            pass

        def make_router() -> APIRouter:
            router = APIRouter()

            @router.get("/factory")
            def from_factory() -> dict:
                return {}

            return router

        v1 = VersionedRouter(prefix="/v1")

        @v1.get("/sub", response_model=None)
        def from_subclass():
            return {}

        @v1.get("/a")
        @v1.post("/b")
        def stacked():
            return {}

        @v1.api_route("/any", methods=["GET", "POST"])
        async def any_method():
            return {}

        @v1.websocket("/ws")
        async def socket(ws):
            await ws.accept()
    ''',
    "app/main.py": '''
        from fastapi import FastAPI
        from fastapi.responses import JSONResponse

        from app.routers import make_router, v1

        app = FastAPI()

        def imperative() -> JSONResponse:
            return JSONResponse({})

        def added(item_id: int) -> list[int]:
            return []

        class Views:
            def __init__(self) -> None:
                app.add_api_route("/views", self.list_views, methods=["GET"])

            def list_views(self):
                return []

        app.get("/imperative")(imperative)
        app.add_api_route("/added/{item_id}", added)
        app.include_router(v1)
        app.include_router(make_router())
        Views()
    ''',
}


def test_every_route_shape_is_found(tmp_path: Path) -> None:
    analysis = analyse(tmp_path, ROUTES)
    found = {
        (analysis.project.short_name(r.endpoint), r.method, r.response_model is not None)
        for r in analysis.fastapi.routes
    }
    assert found == {
        ("make_router.from_factory", "get", True),
        ("from_subclass", "get", False),
        ("stacked", "get", False),
        ("stacked", "post", False),
        ("any_method", "api_route", False),
        ("socket", "websocket", False),
        ("imperative", "get", False),
        ("added", "add_api_route", True),
        ("Views.list_views", "add_api_route", False),
    }


def test_routes_know_their_router(tmp_path: Path) -> None:
    analysis = analyse(tmp_path, ROUTES)
    kinds = {analysis.project.short_name(r.endpoint): r.app.kind for r in analysis.fastapi.routes if r.app}
    assert kinds["from_subclass"] == "router"
    assert kinds["imperative"] == "app"

from flask import Blueprint
bp = Blueprint("views", __name__)
@bp.get("/login")
def login():
    return "login"

"""(being written)"""

from flask import Blueprint

bp = Blueprint("desktop_routes", __name__)

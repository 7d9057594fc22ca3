"""(being written)"""

from flask import Blueprint

bp = Blueprint("api_coordination", __name__, url_prefix="/api/v1")

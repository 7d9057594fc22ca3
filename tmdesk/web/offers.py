"""(being written)"""

from flask import Blueprint

bp = Blueprint("offers", __name__)

"""(being written)"""

from flask import Blueprint

bp = Blueprint("pledges", __name__)

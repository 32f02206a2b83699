"""WSGI entry point: gunicorn 'wsgi:app'."""
import gc

from app import create_app

app = create_app()
# Everything built at start-up lives as long as the worker: move it out of the garbage collector's
# generations, so collections during requests don't walk it again and again (and, with --preload,
# forked workers don't copy those pages by touching them).
gc.freeze()

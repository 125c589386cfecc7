"""gunicorn's config for before_serving/after_serving under WSGI, as
docs/websockets-and-streaming.md gives it."""

from carboy.lifespan import shutdown, startup


def post_worker_init(worker):  # in each worker, once it has loaded the app
    startup(worker.wsgi)


def worker_exit(server, worker):  # in each worker, as it exits
    shutdown(worker.wsgi)

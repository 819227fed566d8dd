# The two commands: `make run` (install what is missing, build, serve on 127.0.0.1:8080)
# and `make test` (every check CI runs).
.PHONY: run test setup web
run:
	scripts/run.sh
test:
	scripts/test.sh
setup:
	scripts/setup.sh
web:
	scripts/build-web.sh

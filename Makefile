# Entry points for developers and CI; every target is safe to run repeatedly.
.PHONY: install services lint test demo bench

# Tests draw Chinese screenshots for the OCR adapter, so a CJK font is installed from Debian when
# fontconfig knows none (fonts-wqy-microhei: 1.6 MB, against 57 MB for fonts-noto-cjk). Without
# root or password-less sudo it only warns: the OCR tests then fail naming the missing font.
install:
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet uv==0.13.9
	@if command -v fc-list >/dev/null 2>&1 && [ -n "$$(fc-list :lang=zh 2>/dev/null)" ]; then :; \
	elif dpkg -s fonts-wqy-microhei >/dev/null 2>&1; then :; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
		echo "warning: no CJK font and no apt-get; install fonts-wqy-microhei or another CJK font" >&2; \
	else \
		if [ "$$(id -u)" = 0 ]; then as_root=""; \
		elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then as_root="sudo -n"; \
		else as_root="none"; fi; \
		if [ "$$as_root" = none ]; then \
			echo "warning: no CJK font; run as root: apt-get install fonts-wqy-microhei" >&2; \
		else \
			{ $$as_root apt-get update -qq \
				&& $$as_root env DEBIAN_FRONTEND=noninteractive \
					apt-get install -y -qq --no-install-recommends fonts-wqy-microhei >/dev/null; } \
				|| echo "warning: could not install fonts-wqy-microhei; the OCR tests will fail" >&2; \
		fi; \
	fi
	uv sync --frozen

# Starts local PostgreSQL and Redis only when they are down. Missing tools only warn:
# tests that need a service fail loudly on their own, with a clearer message.
services:
	@if command -v pg_isready >/dev/null 2>&1 && command -v pg_ctlcluster >/dev/null 2>&1; then \
		pg_isready -h 127.0.0.1 -q || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start \
			|| echo "warning: could not start PostgreSQL" >&2; \
		for i in $$(seq 1 30); do pg_isready -h 127.0.0.1 -q && break; sleep 1; done; \
		pg_isready -h 127.0.0.1 -q || echo "warning: PostgreSQL is not accepting connections" >&2; \
	else \
		echo "warning: PostgreSQL tools not found; tests marked postgres will fail" >&2; \
	fi
	@if command -v redis-cli >/dev/null 2>&1 && command -v redis-server >/dev/null 2>&1; then \
		redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 \
			|| redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null \
			|| echo "warning: could not start Redis" >&2; \
		for i in $$(seq 1 30); do [ "$$(redis-cli -h 127.0.0.1 ping 2>/dev/null)" = PONG ] && break; sleep 1; done; \
		[ "$$(redis-cli -h 127.0.0.1 ping 2>/dev/null)" = PONG ] || echo "warning: Redis is not answering PING" >&2; \
	else \
		echo "warning: Redis tools not found; tests marked redis will fail" >&2; \
	fi

lint:
	uv run ruff check src tests benchmarks
	uv run mypy
	uv run lint-imports

# Lint runs through a sub-make so that it still comes after install under `make -j`.
test: install services
	@$(MAKE) --no-print-directory lint
	uv run pytest -n 2

demo: install
	uv run tuika demo

bench:
	uv run tuika bench submit

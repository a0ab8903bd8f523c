# Entry points for developers and CI; every target is safe to run repeatedly.
.PHONY: install services lint test demo bench

# Tests draw Chinese screenshots for the OCR adapter, and the OCR corpus (`tuika bench ocr-fields`)
# draws in three faces, so three small CJK fonts come from Debian with DejaVu for Latin: downloads
# of 1.6 (wqy-microhei) + 1.8 (droid-fallback) + 1.7 (arphic-gbsn00lp) + 1.1 MB (dejavu-core),
# against 57 MB for fonts-noto-cjk alone. The page tests drive Debian's chromium through
# Playwright (browser downloads are not used) and check accessibility with axe-core, locked in
# package-lock.json and installed from the npm registry.
install:
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet uv==0.13.9
	@scripts/apt-ensure fonts-wqy-microhei fonts-droid-fallback fonts-arphic-gbsn00lp fonts-dejavu-core
	@command -v chromium >/dev/null 2>&1 || scripts/apt-ensure chromium
	@command -v npm >/dev/null 2>&1 || scripts/apt-ensure npm
	@[ -f node_modules/axe-core/axe.min.js ] || npm ci --no-audit --no-fund --loglevel=error
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
	uv run ruff check src tests benchmarks migrations
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

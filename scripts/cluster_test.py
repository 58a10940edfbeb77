"""Multi-node test on one machine (issue 17), run by .ci/run on PostgreSQL.

Two gunicorn nodes on loopback behind nginx (generated non-root configuration), PostgreSQL, Redis,
two RQ workers (django-tasks-rq) and two schedulers (`run_scheduler`, one leads). Under a bounded
load — wrk reading the customer list through nginx, Python threads writing customer notes through the
API and logging every acknowledged id — one app node is killed (SIGKILL) and restarted, and the
worker running a customer import is killed mid-import. Then:

- zero lost writes: every note that got a 2xx is in the database;
- the import finishes exactly once: after the stall sweep and a retry, the file's rows exist once;
- no 5xx beyond the requests in flight on the killed node (at most one per open connection);
- the periodic jobs ran once (one leader), and the standby did not run them again.

Exits non-zero on any breach and prints: requests, errors, writes acknowledged vs found, import rows,
job runs. Usage: `DATABASE_URL=postgres://... python scripts/cluster_test.py [--duration 20]`.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from bench.cluster import free_port, run_wrk, start_gunicorn, start_nginx, stop, wait_http  # noqa: E402

IMPORT_ROWS = 20000
WRITERS = 4


def say(text):
    print(f"[cluster] {text}", flush=True)


def api(port, method, path, token=None, body=None, files=None, timeout=30):
    headers = {}
    data = None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if files:
        boundary = "rmdeskboundary7"
        name, filename, content = files
        data = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\ncustomers\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: text/csv\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()[:300]


class Cluster:
    def __init__(self, tmp: Path, base_url: str):
        self.tmp = tmp
        u = urlparse(base_url)
        self.db_name = "rmdesk_cluster"
        self.admin_url = base_url
        self.db_url = urlunparse(u._replace(path=f"/{self.db_name}"))
        self.redis_port = free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": self.db_url,
            "RMDESK_REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "RMDESK_DEBUG": "0",
            "RMDESK_VAR_DIR": str(tmp / "var"),  # shared storage of the nodes (uploads): one disk here
            "RMDESK_IMPORT_STALL_MINUTES": "0.05",
            "DJANGO_SETTINGS_MODULE": "rmdesk.settings",
            "PYTHONPATH": str(ROOT / "src"),
        }
        self.procs = {}

    def manage(self, *args, check=True, **kw):
        return subprocess.run(
            [sys.executable, "-m", "django", *args], cwd=ROOT, env=self.env, check=check, text=True, **kw
        )

    def spawn(self, name, argv):
        log = open(self.tmp / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen(
            argv, cwd=ROOT, env=self.env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT
        )
        return self.procs[name]

    def setup_database(self):
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {self.db_name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {self.db_name}")
        t0 = time.time()
        self.manage("migrate", "-v0")
        say(f"migrated in {time.time() - t0:.0f} s")
        script = (
            "from rmdesk.org.models import OrgUnit, UnitKind, User, Role, RoleCode\n"
            "hq = OrgUnit.add_root(code='H', name='总行', kind=UnitKind.HEAD_OFFICE)\n"
            "br = hq.add_child(code='B', name='分行', kind=UnitKind.BRANCH)\n"
            "s1 = br.add_child(code='S1', name='支行', kind=UnitKind.SUPPORT)\n"
            "o1 = s1.add_child(code='O1', name='网点', kind=UnitKind.OUTLET)\n"
            "t1 = o1.add_child(code='T1', name='一队', kind=UnitKind.TEAM)\n"
            "def mk(name, code, unit, team=None):\n"
            "    u = User(username=name, full_name=name, unit=unit, team=team, employee_no=name.upper())\n"
            "    u.set_password('cluster-pass-123'); u.save()\n"
            "    u.roles.set([Role.objects.get_or_create(code=code)[0]])\n"
            "    return u\n"
            "mk('lead', RoleCode.TEAM_LEAD, o1, t1)\n"
            "rm = mk('rm', RoleCode.RM, o1, t1)\n"
            "import datetime\n"
            "from rmdesk.org.models import Qualification\n"
            "today = datetime.date.today()\n"
            "Qualification.objects.create(user=rm, number='Q-rm', issued_on=today - datetime.timedelta(days=30),"
            " expires_on=today + datetime.timedelta(days=365))\n"
            "from rmdesk.customers.models import Customer\n"
            "Customer.objects.bulk_create([Customer(name=f'存量{i}', customer_no=f'K{i:07d}', a_rm=rm,"
            " org_unit=t1, org_path=t1.path) for i in range(300)])\n"
        )
        self.manage("shell", "-c", script)

    def start_redis(self):
        self.spawn(
            "redis",
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        )
        for _ in range(50):
            if subprocess.run(["redis-cli", "-p", str(self.redis_port), "ping"], capture_output=True).returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("redis did not start")

    def start_node(self, i, port):
        proc = start_gunicorn(self.env, port, 2, self.tmp / f"node{i}.log")
        self.procs[f"node{i}"] = proc
        return proc

    def start_worker(self, i):
        return self.spawn(
            f"worker{i}",
            [sys.executable, "-m", "django", "rqworker", "--job-class", "django_tasks_rq.Job"]
            + ["imports", "notifications", "periodic", "reports", "default"],
        )

    def start_scheduler(self, i):
        return self.spawn(
            f"scheduler{i}",
            [sys.executable, "-m", "django", "run_scheduler", "--only", "run_sla,sweep_imports", "--tick", "0.5"]
            + ["--standby-poll", "0.5"],
        )

    def stop_all(self):
        for name, proc in self.procs.items():
            stop(proc, signal.SIGQUIT if name == "nginx" else signal.SIGTERM, wait=15)


def csv_file(n, tmp: Path) -> bytes:
    """n new individual customers in the import template (the benchmark's generator), all IMP…."""
    from bench.heavy import write_csv

    path = tmp / "import.csv"
    write_csv(path, n, ["RM"])
    return path.read_bytes()


def busy_worker(cluster):
    """The worker whose work horse (the forked child running a job) is alive."""
    for name in ("worker1", "worker2"):
        proc = cluster.procs.get(name)
        if proc and proc.poll() is None:
            children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
            if children:
                return name
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--keep", action="store_true", help="keep the temp directory (logs)")
    args = ap.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("cluster_test: set DATABASE_URL to a PostgreSQL URL (a superuser that may create databases)")
    for binary in ("nginx", "redis-server", "wrk"):
        if not shutil.which(binary):
            sys.exit(f"cluster_test: {binary} is not installed (apt-get install nginx redis-server wrk)")
    started = time.time()
    tmp = Path(tempfile.mkdtemp(prefix="rmdesk-cluster-"))
    (tmp / "var").mkdir()
    cluster = Cluster(tmp, base)
    breaches = []
    try:
        cluster.setup_database()
        cluster.start_redis()
        ports = [free_port(), free_port()]
        for i, p in enumerate(ports, 1):
            cluster.start_node(i, p)
        for i, p in enumerate(ports, 1):
            wait_http(p, "/readyz", proc=cluster.procs[f"node{i}"])
        lb = free_port()
        cluster.procs["nginx"] = start_nginx(tmp, lb, ports)
        wait_http(lb, "/readyz", proc=cluster.procs["nginx"], seconds=20)
        for i in (1, 2):
            cluster.start_worker(i)
            cluster.start_scheduler(i)
        status, tok = api(lb, "POST", "/api/auth/token", body={"username": "rm", "password": "cluster-pass-123"})
        assert status == 200, (status, tok)
        rm_token = tok["token"]
        status, tok = api(lb, "POST", "/api/auth/token", body={"username": "lead", "password": "cluster-pass-123"})
        assert status == 200, (status, tok)
        lead_token = tok["token"]
        status, page = api(lb, "GET", "/api/customers/?page_size=50", token=rm_token)
        assert status == 200, (status, page)
        customer_ids = [c["id"] for c in page["items"]]

        # writers: notes through the API, each acknowledged id logged
        acked, write_5xx, write_other = [], [], []
        lock = threading.Lock()
        stop_writers = threading.Event()

        def writer(k):
            n = 0
            while not stop_writers.is_set():
                cid = customer_ids[(k * 7 + n) % len(customer_ids)]
                text = f"cluster-note w{k} n{n}"
                n += 1
                try:
                    status, body = api(
                        lb, "POST", f"/api/customers/{cid}/notes", token=rm_token, body={"text": text}, timeout=150
                    )
                except OSError as exc:
                    status, body = 0, str(exc)
                with lock:
                    if 200 <= status < 300:
                        acked.append(body["id"])
                    elif status >= 500:
                        write_5xx.append(status)
                    else:
                        write_other.append((status, body))

        threads = [threading.Thread(target=writer, args=(k,), daemon=True) for k in range(WRITERS)]
        for t in threads:
            t.start()
        pairs = [("/api/customers/?page_size=20", rm_token)]
        wrk_conns = 8
        wrk_result = {}
        wrk_thread = threading.Thread(
            target=lambda: wrk_result.update(run_wrk(tmp, lb, pairs, args.duration, wrk_conns)), daemon=True
        )
        t0 = time.time()
        wrk_thread.start()

        # the import, and the worker running it killed mid-import
        status, job = api(
            lb, "POST", "/api/customers/imports", token=lead_token, files=("file", "c.csv", csv_file(IMPORT_ROWS, tmp))
        )
        assert status == 201, (status, job)
        job_id = job["id"]
        killed_worker = None
        deadline = time.time() + 30
        while time.time() < deadline and killed_worker is None:
            status, j = api(lb, "GET", f"/api/customers/imports/{job_id}", token=lead_token)
            if status == 200 and j["status"] in ("validating", "writing"):
                killed_worker = busy_worker(cluster)
                if killed_worker:
                    # the machine dies: the worker and its work horse (RQ puts it in a session of its own)
                    proc = cluster.procs[killed_worker]
                    horses = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout
                    for pid in [int(x) for x in horses.split()] + [proc.pid]:
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                    proc.wait()
                    say(f"killed {killed_worker} (and its work horse) while the import was {j['status']}")
            elif status == 200 and j["status"] in ("done", "failed"):
                break
            time.sleep(0.05)
        if killed_worker is None:
            breaches.append("could not kill a worker mid-import (the import was not seen running)")

        # one app node killed while under load, then restarted
        time.sleep(max(0.0, t0 + args.duration * 0.3 - time.time()))
        stop(cluster.procs["node1"], signal.SIGKILL)
        say("killed node1 (SIGKILL)")
        time.sleep(args.duration * 0.2)
        cluster.start_node(1, ports[0])
        wait_http(ports[0], "/readyz", proc=cluster.procs["node1"])
        say("node1 restarted")

        # leader scheduler killed: the standby takes over without rerunning the jobs
        leader = None
        for i in (1, 2):
            if "leading" in (tmp / f"scheduler{i}.log").read_text(errors="replace"):
                leader = i
        if leader is None:
            breaches.append("no scheduler leads")
        else:
            stop(cluster.procs[f"scheduler{leader}"], signal.SIGKILL)
            say(f"killed the leading scheduler{leader}")
        wrk_thread.join(args.duration + 90)
        stop_writers.set()
        for t in threads:
            t.join(60)

        # the dead worker's import: the stall sweep fails it, a retry runs it on the other worker
        time.sleep(4)  # RMDESK_IMPORT_STALL_MINUTES=0.05: three seconds without progress
        cluster.manage("sweep_imports", capture_output=True)
        status, j = api(lb, "GET", f"/api/customers/imports/{job_id}", token=lead_token)
        if j["status"] == "failed":
            status, j = api(lb, "POST", f"/api/customers/imports/{job_id}/retry", token=lead_token)
            assert status == 200, (status, j)
        deadline = time.time() + 180
        while time.time() < deadline and j["status"] not in ("done", "failed"):
            time.sleep(0.5)
            status, j = api(lb, "GET", f"/api/customers/imports/{job_id}", token=lead_token)
        time.sleep(2)  # a standby scheduler's ticks: it must not start the jobs again

        # verdicts from the database
        import psycopg

        with psycopg.connect(cluster.db_url) as conn:
            found = {r[0] for r in conn.execute("SELECT id FROM customers_note WHERE id = ANY(%s)", (acked,))}
            imported = conn.execute(
                "SELECT count(*) FROM customers_customer WHERE customer_no LIKE 'IMP%%'"
            ).fetchone()[0]
            attempts = conn.execute("SELECT attempts FROM customers_importjob WHERE id = %s", (job_id,)).fetchone()[0]
            distinct = conn.execute(
                "SELECT count(DISTINCT customer_no) FROM customers_customer WHERE customer_no LIKE 'IMP%%'"
            ).fetchone()[0]
        runs = {}
        standby_runs = 0
        for i in (1, 2):
            text = (tmp / f"scheduler{i}.log").read_text(errors="replace")
            for job_name in ("run_sla", "sweep_imports"):
                c = text.count(f"job {job_name} started")
                runs[job_name] = runs.get(job_name, 0) + c
                if i != leader:
                    standby_runs += c
        lost = len(acked) - len(found)
        allowed_5xx = wrk_conns + WRITERS  # at most the requests in flight on the killed node
        read_5xx = wrk_result.get("non2xx", 0)
        print("== multi-node test figures")
        print(f"requests (wrk reads): {wrk_result.get('requests')}  ({wrk_result.get('rps', 0):.0f} req/s)")
        print(
            f"errors: reads non-2xx {read_5xx}, socket {wrk_result.get('errors')}; writes 5xx {len(write_5xx)},"
            f" other {len(write_other)} (allowed 5xx ≤ {allowed_5xx}: requests in flight on the killed node)"
        )
        print(f"writes acknowledged {len(acked)}, found {len(found)}, lost {lost}")
        print(
            f"import rows: file {IMPORT_ROWS}, in database {imported} (distinct {distinct}), "
            f"job {j['status']} created {j.get('created_count')} attempts {attempts}"
        )
        print(f"job runs: {runs} (by the one that took over: {standby_runs}); killed worker {killed_worker}")
        if lost:
            breaches.append(f"{lost} acknowledged writes are not in the database")
        if not acked:
            breaches.append("no write was acknowledged")
        if read_5xx + len(write_5xx) > allowed_5xx:
            breaches.append(f"{read_5xx + len(write_5xx)} 5xx answers, more than the {allowed_5xx} in flight")
        if write_other:
            breaches.append(f"unexpected write answers: {write_other[:3]}")
        if j["status"] != "done" or imported != IMPORT_ROWS or distinct != IMPORT_ROWS:
            breaches.append(f"import not done exactly once: {j['status']}, {imported} rows for {IMPORT_ROWS}")
        if leader is not None and "leading" not in (tmp / f"scheduler{3 - leader}.log").read_text(errors="replace"):
            breaches.append("the standby scheduler did not take over")
        if any(c != 1 for c in runs.values()):
            breaches.append(f"periodic jobs did not run exactly once: {runs}")
    finally:
        cluster.stop_all()
        if not args.keep and not breaches:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"logs kept in {tmp}")
    if breaches:
        print("BREACHES:\n  " + "\n  ".join(breaches))
        sys.exit(1)
    print(f"multi-node test passed in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()

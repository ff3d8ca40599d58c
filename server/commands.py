"""The `mediate` command's commands and their options; server/cli.py is the entry that loads them."""

from __future__ import annotations

import argparse
import functools
import getpass
import logging
import ssl
import sys
from pathlib import Path
from typing import IO, Any

from cryptography import x509

from server import db
from server.cli_common import _organisation_id, settings_from, with_services, written_whole
from server.documents.seal import Seal, SealError
from server.domain.evidence import Exported
from server.domain.keyring import Keyring
from server.domain.principal import SYSTEM
from server.domain.statistics.snapshots import previous_month
from server.domain.vocabulary import ORGANISATION_KINDS, STAFF_ROLES
from server.errors import DomainError
from server.models import Organisation, utcnow
from server.services import Services
from server.settings import Settings, SettingsError
from server.stats_command import add_stats_parser

log = logging.getLogger("mediate")


def cmd_serve(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    ssl_context = None
    if args.cert or args.key:
        if not (args.cert and args.key):
            print("give both --cert and --key", file=sys.stderr)
            return 2
        ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_context.load_cert_chain(args.cert, args.key)
        settings = settings.with_overrides(tls=True)

    async def first_start(s: Services) -> tuple[str | None, bool]:
        password = await s.accounts.ensure_first_admin()
        renamed = await s.ledger.adopt_origin(settings.default_log_origin)
        return password, renamed

    password, renamed = with_services(settings, first_start)
    url = settings.base_url
    # With JSON logs (a collector reads the output) every line is a log record, and the first
    # administrator's password goes only to its file, never into the logs.
    json_logs = settings.log_format == "json"
    say = log.info if json_logs else functools.partial(print, flush=True)
    say(f"mediate is running at {url}/ (data in {settings.data_dir.resolve()})")
    for line in address_warnings(settings):
        if json_logs:
            log.warning(line)
        else:
            print(f"\n!!! {line}\n", file=sys.stderr, flush=True)
    if renamed:
        say(f"the evidence log is now named {settings.default_log_origin}, after the public address")
    if password:
        secret = settings.data_dir / "initial-admin-password.txt"
        secret.write_text(password + "\n")
        secret.chmod(0o600)
        if not json_logs:
            say(f"First start: log in at {url}/login as 'admin' with password {password}")
        say(
            f"First start: the password of 'admin' is in {secret.resolve()}; create organisations and mediators on the admin page"
        )
    # Only now the web server, the live session and WebRTC: the other commands never load them.
    from server.serving import serve

    serve(settings, ssl_context)
    return 0


def address_warnings(settings: Settings) -> list[str]:
    """What an operator must hear before parties get links that lead nowhere."""
    if settings.public_url is None and settings.listens_beyond_loopback:
        return [
            f"mediate listens on {settings.host or 'every address'} but MEDIATE_PUBLIC_URL is not set: party links and "
            f"the texts that carry them will point to {settings.base_url}, which opens only on this machine. Set "
            "MEDIATE_PUBLIC_URL to the address parties reach (for example https://tiaojie.example.cn) and start again. "
            f"/ 未设置 MEDIATE_PUBLIC_URL：当事人收到的链接将指向 {settings.base_url}，只能在本机打开。"
            "请把 MEDIATE_PUBLIC_URL 设为当事人能访问的地址后重新启动。"
        ]
    return []


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db.upgrade_blocking(settings.resolved_database_url)
    print("database is up to date")
    return 0


def cmd_org_add(args: argparse.Namespace) -> int:
    async def add(s: Services) -> Organisation:
        parent = await _organisation_id(s, args.parent) if args.parent else None
        org = await s.accounts.create_organisation(
            SYSTEM, args.name, args.kind, args.timezone, recording_retention_days=args.recording_retention_days,
            case_file_retention_years=args.case_file_retention_years,
            region=args.region, court_code=args.court_code, parent_id=parent,
        )  # fmt: skip
        await s.sealer.seal_for(org.id, org.name)
        return org

    org = with_services(settings_from(args), add)
    print(f"created organisation {org.name} ({org.kind})")
    print(org.id)
    return 0


def cmd_org_seal(args: argparse.Namespace) -> int:
    """Show an organisation's seal certificate, or install one from a real CA in its place."""

    cert, key = (Path(args.cert).read_bytes(), Path(args.key).read_bytes()) if args.cert and args.key else (None, None)
    chain = Path(args.chain).read_bytes() if args.chain else None

    async def seal(s: Services) -> Seal:
        org = next((o for o in await s.accounts.list_organisations(SYSTEM) if o.id == args.org), None)
        if org is None:
            raise SystemExit(f"no organisation {args.org}")
        if cert is None or key is None:
            return await s.sealer.seal_for(org.id, org.name)
        return await s.sealer.install(org.id, cert, key, chain)

    if (args.cert is None) != (args.key is None):
        print("give both --cert and --key, or neither", file=sys.stderr)
        return 2
    try:
        found = with_services(settings_from(args), seal)
    except SealError as exc:
        print(f"not installed: {exc}", file=sys.stderr)
        return 1
    shown = x509.load_pem_x509_certificate(found.certificate_pem)
    print(f"subject: {shown.subject.rfc4514_string()}")
    print(f"issuer:  {shown.issuer.rfc4514_string()}")
    print(f"valid:   {shown.not_valid_before_utc:%Y-%m-%d} to {shown.not_valid_after_utc:%Y-%m-%d}")
    print(f"sha256:  {found.certificate_sha256()}")
    return 0


def cmd_org_set(args: argparse.Namespace) -> int:
    """Set an organisation's region, its parent or a court's code (its case numbers use it from then on)."""
    changes: dict[str, str | None] = {
        name: value for name, value in (("region", args.region), ("court_code", args.court_code)) if value is not None
    }
    if not changes and args.parent is None:
        print("give --region, --court-code or --parent", file=sys.stderr)
        return 2

    async def update(s: Services) -> Organisation:
        if args.parent is not None:
            changes["parent_id"] = await _organisation_id(s, args.parent) if args.parent else None
        return await s.accounts.update_organisation(SYSTEM, await _organisation_id(s, args.org), changes)

    org = with_services(settings_from(args), update)
    print(f"{org.name}: region {org.region or '-'}, court code {org.court_code or '-'}, parent {org.parent_id or '-'}")
    return 0


def cmd_org_list(args: argparse.Namespace) -> int:
    for org in with_services(settings_from(args), lambda s: s.accounts.list_organisations(SYSTEM)):
        print(
            f"{org.id}\t{org.kind}\t{org.name}\tparent {org.parent_id or '-'}" + (f"\t{org.court_code}" if org.court_code else "")
        )
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    password = args.password
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    if not password:
        password = getpass.getpass("password for the new account: ")

    async def add(s: Services) -> Any:
        return await s.accounts.create_user(
            SYSTEM,
            username=args.username,
            display_name=args.display_name or args.username,
            password=password,
            role=args.role,
            organisation_id=await _organisation_id(s, args.org, strict=False) if args.org else None,
            timezone=args.timezone,
            email=args.email,
            phone=args.phone,
        )

    user = with_services(settings_from(args), add)
    print(f"created {user.role} {user.username}")
    print(user.id)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    async def work(s: Services) -> tuple[Any, Path]:
        case_id = await s.cases.find_id(args.case)
        target = Path(args.out or f"evidence-{case_id}.zip")

        async def bundle(into: IO[bytes]) -> tuple[str, Exported]:
            done = await s.evidence.export(
                SYSTEM, case_id, consistency_from=args.consistency_from, witness_wait=args.wait_for_witnesses, into=into
            )
            return target.name, done

        out, exported = await written_whole(target.parent, bundle)
        return exported, out

    exported, out = with_services(settings_from(args), work)
    print(f"wrote {out} ({exported.records} records, log size {exported.size}, manifest {exported.manifest_hash[:16]}…)")
    print(f"check it offline: mediate verify {out}")
    return 0


def cmd_snapshot(args: argparse.Namespace) -> int:
    """Signed monthly statistics snapshots (#23): take the month's (once), correct one, export one for an audit."""

    async def work(s: Services) -> list[str]:
        snaps = s.statistics_snapshots
        if args.snapshot_command == "take":
            if args.org:
                taken = [await snaps.take_snapshot(await _organisation_id(s, args.org), args.month or previous_month(utcnow()))]
            else:
                taken = await snaps.take_due()
            return [
                f"{t.snapshot.id}\t{t.snapshot.month}\tversion {t.snapshot.version}"
                f"{' (interim: the month has not ended)' if t.snapshot.interim else ''}"
                f"\t{'written' if t.written else 'exists already: nothing written'}"
                for t in taken
            ]
        if args.snapshot_command == "correct":
            row = await snaps.snapshot(args.snapshot)
            t = await snaps.take_snapshot(row.organisation_id, row.month, corrects=row.id, reason=args.reason)
            return [f"{t.snapshot.id}\t{t.snapshot.month}\tversion {t.snapshot.version}, correcting version {row.version}"]
        if args.snapshot_command == "list":
            found = await snaps.listing(SYSTEM, await _organisation_id(s, args.org), subtree=args.subtree)
            return [f"{i['id']}\t{i['organisation']['name']}\t{i['month']}\tversion {i['version']}\t{i['counts']}" for i in found]

        # Its name is the snapshot's unless --out names one, known once the snapshot is read.
        async def snapshot(into: IO[bytes]) -> tuple[str, None]:
            name, _ = await snaps.export(SYSTEM, args.snapshot, into=into)
            return (Path(args.out).name if args.out else name), None

        out, _ = await written_whole(Path(args.out).parent if args.out else Path(), snapshot)
        return [f"wrote {out}", f"check it offline: mediate verify-stats {out}"]

    for line in with_services(settings_from(args), work):
        print(line)
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    ring = Keyring.open(settings.data_dir, settings.default_log_origin)
    if args.keys_command == "rotate":
        info = ring.rotate(args.purpose)
        print(f"new {args.purpose} key {info.id}; restart the server to use it (old keys stay published)")
    for key in ring.infos():
        until = key.valid_until or "now"
        print(f"{key.purpose:<9} {key.id}  {key.valid_from} .. {until}")
    print(f"log origin: {ring.origin}\nlog vkey:   {ring.vkey()}")
    return 0


def cmd_recordings_purge(args: argparse.Namespace) -> int:
    """Delete recordings past retention now (the server also does this hourly)."""
    purged = with_services(settings_from(args), lambda s: s.recordings.purge())
    for p in purged:
        print(f"{p.recording_id}\t{'deleted' if p.deleted else 'kept: the case applied for judicial confirmation'}")
    print(f"{sum(p.deleted for p in purged)} recording(s) deleted")
    return 0


def cmd_casefiles_purge(args: argparse.Namespace) -> int:
    """Destroy the files of archived cases past their retention now (the server also does this hourly)."""
    done = with_services(settings_from(args), lambda s: s.archive.purge(by=SYSTEM))
    for d in done:
        kept = "kept: the case went to a court for confirmation"
        print(f"{d.case_id}\t{d.case_number}\t{f'destroyed {d.documents} document(s), record {d.seq}' if d.destroyed else kept}")
    print(f"{sum(d.destroyed for d in done)} case file(s) destroyed")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from server.demo import run_demo

    return run_demo(settings_from(args), Path(args.out))


def cmd_bench(args: argparse.Namespace) -> int:
    from server.bench import api as bench_api

    # A benchmark migrates its throwaway databases: their thirty lines of migration log would bury its figures.
    logging.getLogger("alembic").setLevel(logging.WARNING)

    if args.what == "api":
        return bench_api.main(settings_from(args), clients=args.clients or 50, seconds=args.seconds or 10.0)
    if args.what == "ledger":
        from server.bench import ledger as bench_ledger

        return bench_ledger.main(settings_from(args), records=args.records, postgres=args.postgres)
    if args.what == "media" and args.compare == "janus":
        from server.bench import compare as bench_compare

        return bench_compare.main(settings_from(args), sessions=args.sessions or 4, seconds=args.seconds or 10.0, kbps=args.kbps)
    if args.what == "media":
        from server.bench import media as bench_media

        return bench_media.main(settings_from(args), sessions=args.sessions or 12, seconds=args.seconds or 10.0, kbps=args.kbps)
    if args.what == "recording":
        from server.bench import recording as bench_recording

        return bench_recording.main(settings_from(args), sessions=args.sessions or 6, seconds=args.seconds or 8.0, kbps=args.kbps)
    if args.what == "cluster":
        from server.bench import cluster as bench_cluster

        return bench_cluster.main(
            settings_from(args),
            postgres=args.postgres,
            redis=args.redis,
            clients=args.clients or 1000,
            sessions=args.sessions or 4,
            seconds=args.seconds or 8.0,
            kbps=args.kbps,
        )
    if args.what == "party-page":
        from server.bench import partypage as bench_partypage

        return bench_partypage.main(settings_from(args), runs=args.runs, show_requests=args.show_requests)
    if args.what == "stats":
        from server.bench import stats as bench_stats

        return bench_stats.main(cases=args.cases, organisations=args.organisations, years=args.years, postgres=args.postgres)
    if args.what == "soak":
        from server.bench import soak as bench_soak

        return bench_soak.main(settings_from(args), minutes=args.minutes or 60.0, clients=args.clients or 100, kbps=args.kbps)
    if args.what == "long":
        from server.bench import long as bench_long

        steps = [s.strip() for s in args.steps.split(",") if s.strip()] if args.steps else list(bench_long.STEPS)
        unknown = sorted(set(steps) - set(bench_long.STEPS))
        if unknown:
            print(f"unknown step(s) {', '.join(unknown)}; the steps are {', '.join(bench_long.STEPS)}", file=sys.stderr)
            return 2
        return bench_long.main(settings_from(args), minutes=args.minutes or 120.0, kbps=args.kbps, steps=steps)
    print(f"unknown benchmark {args.what!r}", file=sys.stderr)
    return 2


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="mediate", description="Online video mediation server")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", help="where the database and recordings live (MEDIATE_DATA_DIR, default ./data)")
    sub = top.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", parents=[common], help="run the server")
    serve.add_argument("--host", help="address to listen on (MEDIATE_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (MEDIATE_PORT, default 8080)")
    serve.add_argument("--cert", help="TLS certificate chain (PEM) for HTTPS")
    serve.add_argument("--key", help="TLS private key (PEM)")
    serve.set_defaults(func=cmd_serve)

    dbp = sub.add_parser("db", help="database")
    dbsub = dbp.add_subparsers(dest="db_command", required=True)
    up = dbsub.add_parser("upgrade", parents=[common], help="apply pending migrations")
    up.set_defaults(func=cmd_db_upgrade)

    org = sub.add_parser("org", help="organisations")
    orgsub = org.add_subparsers(dest="org_command", required=True)
    add = orgsub.add_parser("add", parents=[common], help="create an organisation; prints its id last")
    add.add_argument("--name", required=True)
    add.add_argument("--kind", required=True, choices=list(ORGANISATION_KINDS))
    add.add_argument("--timezone")
    add.add_argument("--recording-retention-days", type=int, help="days recordings are kept after they end (default 1095)")
    add.add_argument(
        "--case-file-retention-years", type=int,
        help="years an archived case's file (卷宗) is kept before it is destroyed; 0 keeps it for good (永久) (default 30)",
    )  # fmt: skip
    add.add_argument("--region", help="行政区划, e.g. 北京市朝阳区 (for a court: the area it serves)")
    add.add_argument("--court-code", help="a court's code in its case numbers (法院代字), e.g. 蒙0105")
    add.add_argument("--parent", help="the organisation above it (id or name), e.g. the town above a village committee")
    add.set_defaults(func=cmd_org_add)
    setp = orgsub.add_parser("set", parents=[common], help="set an organisation's region or a court's code")
    setp.add_argument("--org", required=True, help="organisation id or name")
    setp.add_argument("--region", help="行政区划 ('' clears it)")
    setp.add_argument("--parent", help="the organisation above it, id or name ('' puts it at the top of a tree)")
    setp.add_argument("--court-code", help="法院代字, e.g. 蒙0105 ('' clears it)")
    setp.set_defaults(func=cmd_org_set)
    sealp = orgsub.add_parser(
        "seal", parents=[common], help="show the organisation's seal certificate, or install one from a real CA (--cert/--key)"
    )
    sealp.add_argument("--org", required=True, help="organisation id")
    sealp.add_argument("--cert", help="PEM certificate issued to the organisation")
    sealp.add_argument("--key", help="its PEM private key (not encrypted)")
    sealp.add_argument("--chain", help="PEM issuer certificates, up to the root")
    sealp.set_defaults(func=cmd_org_seal)
    lst = orgsub.add_parser("list", parents=[common], help="list organisations")
    lst.set_defaults(func=cmd_org_list)

    user = sub.add_parser("user", help="staff accounts")
    usersub = user.add_subparsers(dest="user_command", required=True)
    uadd = usersub.add_parser("add", parents=[common], help="create a staff account; prints its id last")
    uadd.add_argument("--username", required=True)
    uadd.add_argument("--role", required=True, choices=list(STAFF_ROLES))
    uadd.add_argument("--org", help="organisation id or name (required for mediators, judges and supervisors)")
    uadd.add_argument("--display-name")
    uadd.add_argument("--password", help="the password (or --password-stdin, or asked for)")
    uadd.add_argument("--password-stdin", action="store_true")
    uadd.add_argument("--timezone")
    uadd.add_argument("--email")
    uadd.add_argument("--phone")
    uadd.set_defaults(func=cmd_user_add)

    export = sub.add_parser("export", parents=[common], help="write a case's evidence bundle (.zip)")
    export.add_argument("case", help="case id, or case number if unique")
    export.add_argument("--out", help="file to write (default evidence-<case id>.zip)")
    export.add_argument(
        "--consistency-from", type=int, action="append", help="add a consistency proof from this earlier log size"
    )
    export.add_argument(
        "--wait-for-witnesses",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="with a server running and witnesses configured, wait this long for a cosigned checkpoint",
    )
    export.set_defaults(func=cmd_export)

    add_stats_parser(sub, common)

    snap = sub.add_parser("snapshot", help="signed monthly statistics snapshots (mediate snapshot --help)")
    snapsub = snap.add_subparsers(dest="snapshot_command", required=True)
    take = snapsub.add_parser("take", parents=[common], help="take the snapshots due (last month's, once), or one now")
    take.add_argument("--org", help="organisation id or exact name (default: every organisation, last month)")
    take.add_argument("--month", help="YYYY-MM (default last month); a month not ended yet gives an interim snapshot")
    correct = snapsub.add_parser("correct", parents=[common], help="write a correction of a snapshot, saying why")
    correct.add_argument("snapshot", help="the snapshot's id")
    correct.add_argument("--reason", required=True, help="why the figures are corrected")
    slist = snapsub.add_parser("list", parents=[common], help="an organisation's snapshots")
    slist.add_argument("--org", required=True, help="organisation id or exact name")
    slist.add_argument("--subtree", action="store_true", help="with every organisation below it")
    sexport = snapsub.add_parser("export", parents=[common], help="write a snapshot with the bundles behind it (.zip)")
    sexport.add_argument("snapshot", help="the snapshot's id")
    sexport.add_argument("--out", help="file to write")
    for p in (take, correct, slist, sexport):
        p.set_defaults(func=cmd_snapshot)
    sub.add_parser("verify-stats", help="check a statistics snapshot offline: mediate verify-stats SNAPSHOT.zip [--lang en]")

    sub.add_parser("witness", help="cosign the evidence log's checkpoints as a witness (mediate witness --help)")
    sub.add_parser(
        "verify",
        help="check an evidence bundle offline: mediate verify BUNDLE.zip [--trusted-key ...] [--checkpoint FILE] [--lang en]",
    )

    recs = sub.add_parser("recordings", help="recorded sessions")
    recsub = recs.add_subparsers(dest="recordings_command", required=True)
    purge = recsub.add_parser("purge", parents=[common], help="delete recordings past their retention period now (logged)")
    purge.set_defaults(func=cmd_recordings_purge)

    files = sub.add_parser("casefiles", help="archived cases' files (卷宗)")
    filesub = files.add_subparsers(dest="casefiles_command", required=True)
    fpurge = filesub.add_parser(
        "purge", parents=[common], help="destroy the files of archived cases past their retention now (logged)"
    )
    fpurge.set_defaults(func=cmd_casefiles_purge)

    keys = sub.add_parser("keys", help="the platform's signing keys")
    keysub = keys.add_subparsers(dest="keys_command", required=True)
    keysub.add_parser("list", parents=[common], help="list every platform key ever used").set_defaults(func=cmd_keys)
    rotate = keysub.add_parser("rotate", parents=[common], help="start a new key; the old one stays published")
    rotate.add_argument("--purpose", required=True, choices=["log", "platform", "recorder"])
    rotate.set_defaults(func=cmd_keys)

    demo = sub.add_parser("demo", parents=[common], help="create a complete sample case and export its bundle")
    demo.add_argument("--out", required=True, help="folder for the bundle")
    demo.set_defaults(func=cmd_demo)

    bench = sub.add_parser("bench", parents=[common], help="print performance figures")
    bench.add_argument("what", choices=["api", "ledger", "media", "recording", "cluster", "party-page", "stats", "soak", "long"])
    bench.add_argument(
        "--sessions",
        type=int,
        help="media, recording, cluster: most concurrent 3-person sessions to try (default 12; recording 6; cluster 4 per process)",
    )
    bench.add_argument("--kbps", type=int, default=1000, help="media, recording, long: video bitrate of each publisher")
    bench.add_argument(
        "--compare",
        choices=["janus"],
        help="media: run the same publishers and subscribers through Janus too (Debian's janus, installed with apt-get "
        "if missing) and print both servers' cores side by side (--sessions: most sessions at once, default 4)",
    )
    bench.add_argument("--records", type=int, default=5000, help="ledger: how many records to append")
    bench.add_argument(
        "--postgres",
        help="ledger, stats: also measure on this PostgreSQL server; cluster: the server to use (default the local one); "
        "a throwaway database is made",
    )
    bench.add_argument(
        "--redis", help="cluster: the Redis to use (default redis://127.0.0.1:6379/14; keys under a prefix of their own)"
    )
    bench.add_argument(
        "--clients",
        type=int,
        help="api: concurrent clients (default 50); cluster: Socket.IO clients (default 1000); soak: signaling clients (default 100)",
    )
    bench.add_argument(
        "--seconds",
        type=float,
        help="api: seconds per call; media, recording, cluster: seconds per measurement (default 10; recording and cluster 8)",
    )
    bench.add_argument("--cases", type=int, default=100_000, help="stats: cases to generate (default 100000)")
    bench.add_argument("--organisations", type=int, default=200, help="stats: organisations in the tree (default 200)")
    bench.add_argument("--years", type=int, default=3, help="stats: years the cases are registered over (default 3)")
    bench.add_argument(
        "--minutes", type=float, help="soak: how long to run (default 60); long: the recorded session's length (default 120)"
    )
    bench.add_argument("--runs", type=int, default=3, help="party-page: fresh browser profiles to measure (default 3)")
    bench.add_argument("--show-requests", action="store_true", help="party-page: list every request of the first run")
    bench.add_argument("--steps", help="long: which of remux,export,verify,compose to run (default all, in that order)")
    bench.set_defaults(func=cmd_bench)
    return top


def run(argv: list[str]) -> int:
    """Parse the command line and run the command it names (server/cli.py calls this)."""
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (DomainError, SettingsError) as exc:
        print(f"mediate: {exc}", file=sys.stderr)
        return 1

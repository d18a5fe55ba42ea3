"""python-duckdb: DuckDB's SQL over read_csv with explicit column types,
`SET threads` from --threads."""
import os

import hp_engine
from hp_engine import BadData, T0, CHANNELS, SEGMENTS, REGIONS

duckdb = None


def load():
    global duckdb
    import duckdb as mod
    duckdb = mod


def connect(threads):
    con = duckdb.connect(":memory:")
    con.execute("SET threads = %d" % threads)
    con.execute("SET preserve_insertion_order = false")
    return con


FACTS_COLUMNS = ("{'order_id': 'UBIGINT', 'user_id': 'UBIGINT', 'product_id': 'UBIGINT', "
                 "'ts': 'UBIGINT', 'quantity': 'UBIGINT', 'unit_price': 'DOUBLE', "
                 "'discount': 'DOUBLE', 'channel': 'VARCHAR'}")
USERS_COLUMNS = ("{'user_id': 'UBIGINT', 'segment': 'VARCHAR', 'region': 'VARCHAR', "
                 "'signup_ts': 'VARCHAR'}")


def read_csv(path, columns):
    # strict_mode rejects lines with a wrong number of fields; no quoting.
    return ("read_csv('%s', header = true, delim = ',', quote = '', escape = '', "
            "columns = %s, strict_mode = true, null_padding = false, auto_detect = false)"
            % (path.replace("'", "''"), columns))


def enum_sql(name, values):
    return "CREATE TYPE %s AS ENUM (%s)" % (name, ", ".join("'%s'" % v for v in values))


def groupby(data, threads):
    path = hp_engine.check_text_file(data, "facts.csv")
    con = connect(threads)
    con.execute("CREATE VIEW facts AS SELECT product_id, quantity, unit_price, "
                "quantity::DOUBLE * unit_price * (1.0 - discount) AS revenue FROM "
                + read_csv(path, FACTS_COLUMNS))
    con.execute("CREATE TEMP TABLE g AS SELECT product_id, count(*) AS n, sum(quantity) AS qty, "
                "sum(revenue) AS revenue, max(unit_price) AS max_price FROM facts "
                "GROUP BY product_id")
    rows, groups, total, nulls = con.execute(
        "SELECT sum(n), count(*), sum(revenue), count(*) - count(qty) FROM g").fetchone()
    if not rows:
        raise BadData("facts.csv:2: no data rows")
    top = con.execute("SELECT product_id, n, qty, revenue, max_price FROM g "
                      "ORDER BY revenue DESC, product_id LIMIT 10").fetchall()
    result = {"rows": int(rows), "groups": int(groups), "total_revenue": float(total),
              "top": [[int(p), int(n), int(q), float(r), float(m)] for p, n, q, r, m in top]}
    return result, None, None


def join(data, threads):
    upath = hp_engine.check_text_file(data, "users.csv")
    fpath = hp_engine.check_text_file(data, "facts.csv")
    con = connect(threads)
    con.execute(enum_sql("segment_t", SEGMENTS))
    con.execute(enum_sql("region_t", REGIONS))
    con.execute(enum_sql("channel_t", CHANNELS))
    con.execute("CREATE TEMP TABLE users AS SELECT user_id, segment::segment_t AS segment, "
                "region::region_t AS region FROM " + read_csv(upath, USERS_COLUMNS))
    n, distinct = con.execute("SELECT count(*), count(DISTINCT user_id) FROM users").fetchone()
    if n == 0:
        raise BadData("users.csv:2: no data rows")
    if n != distinct:
        raise BadData("users.csv: duplicate user_id")
    out = con.execute(
        "WITH f AS (SELECT user_id, ts, quantity, channel::channel_t AS channel, "
        "  quantity::DOUBLE * unit_price * (1.0 - discount) AS revenue FROM "
        + read_csv(fpath, FACTS_COLUMNS) + "), "
        "checked AS (SELECT count(*) AS n FROM f), "
        "kept AS (SELECT * FROM f WHERE ts >= %d AND channel <> 'partner') "
        "SELECT u.segment::VARCHAR AS segment, u.region::VARCHAR AS region, count(*), "
        "sum(k.quantity), sum(k.revenue), (SELECT n FROM checked) "
        "FROM kept k JOIN users u USING (user_id) GROUP BY ALL "
        "ORDER BY 1, 2" % (T0 + 2592000)).fetchall()
    result = {"rows": int(sum(r[2] for r in out)),
              "segments": [[s, r, int(o), int(q), float(v)] for s, r, o, q, v, _ in out]}
    if out and not out[0][5]:
        raise BadData("facts.csv:2: no data rows")
    return result, None, None


if __name__ == "__main__":
    hp_engine.main("python-duckdb", {"groupby": groupby, "join": join},
                   set_threads=lambda n: None, load=load)

"""python-duckdb: DuckDB's SQL over read_csv with explicit column types,
`SET threads` from --threads, as its users write it: one query per answer.
It checks what DuckDB's reader checks (a field that does not parse as its
type, a line with the wrong number of fields, a missing file), nothing more."""
import os

import hp_engine
from hp_engine import T0

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


def read_csv(data, name, columns):
    path = os.path.join(data, name)
    return ("read_csv('%s', header = true, delim = ',', quote = '', escape = '', "
            "columns = %s, auto_detect = false)" % (path.replace("'", "''"), columns))


def groupby(data, threads):
    con = connect(threads)
    con.execute("CREATE TEMP TABLE g AS SELECT product_id, count(*) AS n, sum(quantity) AS qty, "
                "sum(quantity::DOUBLE * unit_price * (1.0 - discount)) AS revenue, "
                "max(unit_price) AS max_price FROM " + read_csv(data, "facts.csv", FACTS_COLUMNS)
                + " GROUP BY product_id")
    rows, groups, total = con.execute("SELECT sum(n), count(*), sum(revenue) FROM g").fetchone()
    top = con.execute("SELECT product_id, n, qty, revenue, max_price FROM g "
                      "ORDER BY revenue DESC, product_id LIMIT 10").fetchall()
    result = {"rows": int(rows or 0), "groups": int(groups), "total_revenue": float(total or 0),
              "top": [[int(p), int(n), int(q), float(r), float(m)] for p, n, q, r, m in top]}
    return result, None, None


def join(data, threads):
    con = connect(threads)
    out = con.execute(
        "SELECT u.segment, u.region, count(*), sum(f.quantity), "
        "sum(f.quantity::DOUBLE * f.unit_price * (1.0 - f.discount)) "
        "FROM " + read_csv(data, "facts.csv", FACTS_COLUMNS) + " f JOIN "
        + read_csv(data, "users.csv", USERS_COLUMNS) + " u USING (user_id) "
        "WHERE f.ts >= %d AND f.channel <> 'partner' GROUP BY ALL ORDER BY 1, 2"
        % (T0 + 2592000)).fetchall()
    result = {"rows": int(sum(r[2] for r in out)),
              "segments": [[s, r, int(o), int(q), float(v)] for s, r, o, q, v in out]}
    return result, None, None


if __name__ == "__main__":
    hp_engine.main("python-duckdb", {"groupby": groupby, "join": join},
                   set_threads=lambda n: None, load=load)

"""python-polars: the study's groupby and join baseline, as Polars users
write it: scan_csv with a schema, the derived revenue, group_by/agg (and
join), one lazy query and one collect. It checks what Polars checks (a field
that does not parse as its column's type, a missing file), nothing more."""
import os

import hp_engine
from hp_engine import T0

pl = None


def set_threads(n):
    os.environ["POLARS_MAX_THREADS"] = str(n)


def load():
    global pl
    import polars
    pl = polars


def scan_facts(data):
    schema = {"order_id": pl.UInt64, "user_id": pl.UInt64, "product_id": pl.UInt64,
              "ts": pl.UInt64, "quantity": pl.UInt64, "unit_price": pl.Float64,
              "discount": pl.Float64, "channel": pl.String}
    lf = pl.scan_csv(os.path.join(data, "facts.csv"), schema=schema, quote_char=None)
    return lf.with_columns(
        (pl.col("quantity").cast(pl.Float64) * pl.col("unit_price")
         * (1.0 - pl.col("discount"))).alias("revenue"))


def groupby(data, threads):
    agg = (scan_facts(data)
           .group_by("product_id")
           .agg(pl.len().alias("count"), pl.col("quantity").sum().alias("qty"),
                pl.col("revenue").sum().alias("revenue"),
                pl.col("unit_price").max().alias("max_price"))
           .sort(["revenue", "product_id"], descending=[True, False])
           .collect())
    result = {
        "rows": int(agg["count"].sum()),
        "groups": agg.height,
        "total_revenue": float(agg["revenue"].sum()),
        "top": [[int(r[0]), int(r[1]), int(r[2]), float(r[3]), float(r[4])]
                for r in agg.head(10).select("product_id", "count", "qty", "revenue",
                                             "max_price").iter_rows()],
    }
    return result, None, None


def join(data, threads):
    users = pl.scan_csv(os.path.join(data, "users.csv"),
                        schema={"user_id": pl.UInt64, "segment": pl.String,
                                "region": pl.String, "signup_ts": pl.String},
                        quote_char=None).select("user_id", "segment", "region")
    out = (scan_facts(data)
           .filter((pl.col("ts") >= T0 + 2592000) & (pl.col("channel") != "partner"))
           .join(users, on="user_id", how="inner")
           .group_by("segment", "region")
           .agg(pl.len().alias("orders"), pl.col("quantity").sum().alias("qty"),
                pl.col("revenue").sum().alias("revenue"))
           .sort(["segment", "region"])
           .collect())
    result = {
        "rows": int(out["orders"].sum()),
        "segments": [[s, r, int(o), int(q), float(v)] for s, r, o, q, v in out.iter_rows()],
    }
    return result, None, None


if __name__ == "__main__":
    hp_engine.main("python-polars", {"groupby": groupby, "join": join}, set_threads, load)

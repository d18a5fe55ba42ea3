"""python-polars: the study's groupby and join baseline, Polars' lazy API
(scan_csv, projection of the needed columns, derived revenue, group_by/agg,
join, collect)."""
import os

import hp_engine
from hp_engine import BadData, T0, CHANNELS, SEGMENTS, REGIONS

pl = None


def set_threads(n):
    os.environ["POLARS_MAX_THREADS"] = str(n)


def load():
    global pl
    import polars
    pl = polars


def facts_schema():
    return {"order_id": pl.UInt64, "user_id": pl.UInt64, "product_id": pl.UInt64,
            "ts": pl.UInt64, "quantity": pl.UInt64, "unit_price": pl.Float64,
            "discount": pl.Float64, "channel": pl.String}


def scan_facts(data):
    path = hp_engine.check_text_file(data, "facts.csv")
    lf = pl.scan_csv(path, schema=facts_schema(), quote_char=None)
    return lf.with_columns(
        (pl.col("quantity").cast(pl.Float64) * pl.col("unit_price")
         * (1.0 - pl.col("discount"))).alias("revenue"))


def no_nulls(df, cols, name):
    for c in cols:
        if df[c].null_count():
            raise BadData("%s: a row lacks %s" % (name, c))


def groupby(data, threads):
    lf = scan_facts(data)
    agg = (lf.group_by("product_id")
             .agg(pl.len().alias("count"), pl.col("quantity").sum().alias("qty"),
                  pl.col("revenue").sum().alias("revenue"),
                  pl.col("unit_price").max().alias("max_price"),
                  (pl.col("unit_price").null_count() + pl.col("channel").null_count())
                  .alias("nulls"))
             .collect())
    if agg.height == 0:
        raise BadData("facts.csv:2: no data rows")
    no_nulls(agg, ["product_id", "qty", "revenue"], "facts.csv")
    if agg["nulls"].sum():
        raise BadData("facts.csv: a row lacks a field")
    top = agg.sort(["revenue", "product_id"], descending=[True, False]).head(10)
    result = {
        "rows": int(agg["count"].sum()),
        "groups": agg.height,
        "total_revenue": float(agg["revenue"].sum()),
        "top": [[int(r[0]), int(r[1]), int(r[2]), float(r[3]), float(r[4])]
                for r in top.select("product_id", "count", "qty", "revenue",
                                    "max_price").iter_rows()],
    }
    return result, None, None


def join(data, threads):
    upath = hp_engine.check_text_file(data, "users.csv")
    users = pl.scan_csv(upath, schema={"user_id": pl.UInt64, "segment": pl.String,
                                       "region": pl.String, "signup_ts": pl.String},
                        quote_char=None)
    users = users.with_columns(pl.col("segment").cast(pl.Enum(SEGMENTS), strict=True),
                               pl.col("region").cast(pl.Enum(REGIONS), strict=True))
    facts = scan_facts(data).with_columns(
        pl.col("channel").cast(pl.Enum(CHANNELS), strict=True))
    kept = facts.filter((pl.col("ts") >= T0 + 2592000) & (pl.col("channel") != "partner"))
    joined = kept.join(users.select("user_id", "segment", "region"), on="user_id",
                       how="inner")
    out = (joined.group_by("segment", "region")
                 .agg(pl.len().alias("orders"), pl.col("quantity").sum().alias("qty"),
                      pl.col("revenue").sum().alias("revenue"))
                 .with_columns(pl.col("segment").cast(pl.String),
                               pl.col("region").cast(pl.String))
                 .sort(["segment", "region"]))
    checks = users.select(pl.len().alias("n"), pl.col("user_id").is_duplicated().any()
                          .alias("dup"), pl.col("user_id").null_count().alias("nulls"))
    facts_n = facts.select(pl.len().alias("n"), pl.col("channel").null_count().alias("nulls"))
    out, checks, facts_n = pl.collect_all([out, checks, facts_n])
    if checks["n"][0] == 0:
        raise BadData("users.csv:2: no data rows")
    if checks["dup"][0]:
        raise BadData("users.csv: duplicate user_id")
    if checks["nulls"][0] or facts_n["nulls"][0]:
        raise BadData("a row lacks a field")
    if facts_n["n"][0] == 0:
        raise BadData("facts.csv:2: no data rows")
    result = {
        "rows": int(out["orders"].sum()),
        "segments": [[s, r, int(o), int(q), float(v)] for s, r, o, q, v in out.iter_rows()],
    }
    return result, None, None


if __name__ == "__main__":
    hp_engine.main("python-polars", {"groupby": groupby, "join": join}, set_threads, load)

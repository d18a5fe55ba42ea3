#ifndef HP_FORMAT_H
#define HP_FORMAT_H
/* The tasks and the data format of WORKLOADS.md, written once: the
 * generator (workloads/gen) writes with these and every C engine
 * (workloads/c) reads with them. A name list's order is its code order:
 * CHANNEL_NAMES[CH_PARTNER] is "partner". */

/* Tasks, in the specification's order. */
enum hp_task {
    TASK_NUMERIC, TASK_GROUPBY, TASK_JOIN, TASK_SESSIONIZE, TASK_STREAM_SCORE, N_TASKS
};
#define TASK_NAMES "numeric", "groupby", "join", "sessionize", "stream-score"

/* Every timestamp of the data counts from here. */
#define DATA_T0 1700000000ULL

/* facts.csv */
#define FACTS_CSV "facts.csv"
#define FACTS_HEADER "order_id,user_id,product_id,ts,quantity,unit_price,discount,channel"
#define FACTS_FIELDS "order_id", "user_id", "product_id", "ts", "quantity", "unit_price", \
                     "discount", "channel"
#define FACTS_NFIELDS 8
#define N_PRODUCTS 10000
enum hp_channel { CH_WEB, CH_APP, CH_STORE, CH_PARTNER, N_CHANNELS };
#define CHANNEL_NAMES "web", "app", "store", "partner"

/* users.csv */
#define USERS_CSV "users.csv"
#define USERS_HEADER "user_id,segment,region,signup_ts"
#define USERS_FIELDS "user_id", "segment", "region", "signup_ts"
#define USERS_NFIELDS 4
#define N_SEGMENTS 5
#define SEGMENT_NAMES "consumer", "smb", "enterprise", "education", "government"
#define N_REGIONS 8
#define REGION_NAMES "na-east", "na-west", "eu-north", "eu-south", "apac", "latam", "mea", "anz"

/* events.csv (sessionize) */
#define EVENTS_CSV "events.csv"
#define EVENTS_HEADER "user_id,ts,event_type,amount"
#define EVENTS_FIELDS "user_id", "ts", "event_type", "amount"
#define EVENTS_NFIELDS 4
enum hp_event { EV_VIEW, EV_CLICK, EV_CART, EV_PURCHASE, N_EVENT_TYPES };
#define EVENT_TYPE_NAMES "view", "click", "cart", "purchase"

/* stream.csv (stream-score) */
#define STREAM_CSV "stream.csv"
#define STREAM_HEADER "ts,user_id,event_type,amount"
#define STREAM_FIELDS "ts", "user_id", "event_type", "amount"
#define STREAM_NFIELDS 4
enum hp_stream_event {
    ST_VIEW, ST_LOGIN, ST_PURCHASE, ST_REFUND, ST_PASSWORD_RESET, ST_CHARGEBACK, N_STREAM_TYPES
};
#define STREAM_TYPE_NAMES "view", "login", "purchase", "refund", "password_reset", "chargeback"

/* points.f64 (numeric) */
#define POINTS_F64 "points.f64"
#endif

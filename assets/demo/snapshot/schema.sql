CREATE TABLE observations(ts TIMESTAMP WITH TIME ZONE NOT NULL, feed VARCHAR NOT NULL, entity_id VARCHAR NOT NULL, entity_type VARCHAR, metric VARCHAR NOT NULL, "value" DOUBLE, unit VARCHAR, district VARCHAR, lat DOUBLE, lon DOUBLE);
CREATE TABLE entities(entity_id VARCHAR PRIMARY KEY, entity_type VARCHAR, "name" VARCHAR, district VARCHAR, lat DOUBLE, lon DOUBLE, status VARCHAR, attrs JSON, updated_at TIMESTAMP WITH TIME ZONE);
CREATE TABLE alerts(alert_id VARCHAR PRIMARY KEY, ts TIMESTAMP WITH TIME ZONE NOT NULL, feed VARCHAR, severity VARCHAR, category VARCHAR, title VARCHAR, detail VARCHAR, district VARCHAR, lat DOUBLE, lon DOUBLE, state VARCHAR, ack_by VARCHAR, ack_at TIMESTAMP WITH TIME ZONE, cleared_at TIMESTAMP WITH TIME ZONE);
CREATE TABLE indicators(period VARCHAR, code VARCHAR, "name" VARCHAR, region VARCHAR, "value" DOUBLE, "target" DOUBLE, unit VARCHAR, "source" VARCHAR, PRIMARY KEY(period, code, region));
CREATE TABLE meta("key" VARCHAR PRIMARY KEY, "value" VARCHAR);

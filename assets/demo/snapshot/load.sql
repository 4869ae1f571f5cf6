COPY observations FROM 'observations.parquet' (FORMAT 'parquet');
COPY entities FROM 'entities.parquet' (FORMAT 'parquet');
COPY alerts FROM 'alerts.parquet' (FORMAT 'parquet');
COPY indicators FROM 'indicators.parquet' (FORMAT 'parquet');
COPY meta FROM 'meta.parquet' (FORMAT 'parquet');

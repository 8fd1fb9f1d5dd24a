/** parse-prometheus-text-format (which ships no types): the prom2json-shaped result the metrics tests read. */
declare module "parse-prometheus-text-format" {
  export interface PrometheusSample {
    value?: string;
    labels?: Record<string, string>;
    timestamp_ms?: string;
    buckets?: Record<string, string>;
    quantiles?: Record<string, string>;
    count?: string;
    sum?: string;
  }

  export interface PrometheusFamily {
    name: string;
    help: string;
    /** Upper case: GAUGE, COUNTER, SUMMARY, HISTOGRAM or UNTYPED. */
    type: string;
    metrics: PrometheusSample[];
  }

  /** Throws InvalidLineError on a line it cannot parse. */
  export default function parsePrometheusTextFormat(text: string): PrometheusFamily[];
}

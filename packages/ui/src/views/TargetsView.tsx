import { useEffect, useState } from 'react';
import { fetchTargets } from '../api/client.js';
import { useAsync } from '../app/use-async.js';
import { Empty, ErrorBox, Loading } from '../components/States.js';
import { buildTargetJobs } from './targets-table.js';

const REFRESH_MS = 5000;

/** Pull-mode targets by job with their health, last scrape and error (`GET /api/v1/targets`), refreshed every 5 s. */
export function TargetsView(): React.JSX.Element {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((t) => t + 1), REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  const state = useAsync(String(tick), (signal) => fetchTargets(signal));
  if (state.status === 'error') return <ErrorBox error={state.error} title="Could not load the targets" />;
  if (state.value === undefined) return <Loading what="targets" />;
  const jobs = buildTargetJobs(state.value.targets, Date.now(), state.value.discoveryErrors);
  if (jobs.length === 0) {
    return <Empty>No scrape targets. Add `scrape_configs` to the server's config file to pull profiles.</Empty>;
  }
  return (
    <div className="view targets-view" data-testid="targets-view">
      {jobs.map((job) => (
        <section key={job.job} className="targets-job" data-testid={`targets-job-${job.job}`}>
          <h3>
            {job.job}{' '}
            <span className="targets-count">
              ({job.up}/{job.total} up)
            </span>
          </h3>
          {job.discoveryError !== '' && (
            <p className="targets-discovery-error" role="alert" data-testid="discovery-error">
              Service discovery is failing, so targets may be missing or out of date (retrying): {job.discoveryError}
            </p>
          )}
          <div className="top-table">
            <table>
              <thead>
                <tr>
                  <th>Endpoint</th>
                  <th>Profile</th>
                  <th>State</th>
                  <th>Labels</th>
                  <th className="col-num">Last scrape</th>
                  <th className="col-num">Duration</th>
                  <th>Error</th>
                </tr>
              </thead>
              <tbody>
                {job.rows.map((r) => (
                  <tr key={r.key} data-testid="target-row">
                    <td className="fn-name">{r.url}</td>
                    <td>{r.profile}</td>
                    <td>
                      <span className={`health health-${r.health}`} data-testid="target-health">
                        {r.health}
                      </span>
                    </td>
                    <td>
                      {r.labels.map((l) => (
                        <code key={l} className="target-label">
                          {l}
                        </code>
                      ))}
                    </td>
                    <td className="col-num">{r.lastScrape}</td>
                    <td className="col-num">{r.duration}</td>
                    <td className="target-error" data-testid="target-error">
                      {r.error}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ))}
    </div>
  );
}

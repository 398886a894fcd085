/** What a fresh server shows before anything sent it profiles. */
export function NoData(): React.JSX.Element {
  return (
    <div className="state state-empty no-data" data-testid="no-data">
      <h2>No profiles yet</h2>
      <p>
        Kiln has no data in this range. Point any Pyroscope SDK or Grafana Alloy at this server (
        <code>PYROSCOPE_SERVER_ADDRESS={window.location.origin}</code>), upload a pprof file with{' '}
        <code>
          curl --data-binary @cpu.pb.gz &apos;{window.location.origin}/ingest?name=my-app&amp;format=pprof&apos;
        </code>
        , or drop a profile file on the <a href="/adhoc">Ad-hoc</a> page to view it without storing it.
      </p>
    </div>
  );
}

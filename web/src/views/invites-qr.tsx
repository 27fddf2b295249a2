/**
 * A QR code as an `<svg>` of `<rect>`s built from qrcode-generator's module matrix: one rect per run of
 * dark modules in a row, drawn by Preact (no markup strings, nothing for the CSP to block).
 */
import qrcode from "qrcode-generator";

/** Dark runs of each row of the QR code for `text`: [row, first column, length]. */
export function qrRuns(text: string): { size: number; runs: Array<[number, number, number]> } {
  const qr = qrcode(0, "M");
  qr.addData(text);
  qr.make();
  const size = qr.getModuleCount();
  const runs: Array<[number, number, number]> = [];
  for (let row = 0; row < size; row += 1) {
    let start = -1;
    for (let col = 0; col <= size; col += 1) {
      const dark = col < size && qr.isDark(row, col);
      if (dark && start < 0) start = col;
      if (!dark && start >= 0) {
        runs.push([row, start, col - start]);
        start = -1;
      }
    }
  }
  return { size, runs };
}

/** The QR code of `text`, with the quiet zone of 4 modules the standard asks for. */
export function QrCode(props: { text: string; id?: string; label?: string }) {
  const { size, runs } = qrRuns(props.text);
  const margin = 4;
  const full = size + margin * 2;
  return (
    <svg
      id={props.id}
      class="qr"
      viewBox={`0 0 ${full} ${full}`}
      role="img"
      aria-label={props.label ?? "QR code"}
      shape-rendering="crispEdges"
    >
      <rect class="qr-light" x="0" y="0" width={full} height={full} />
      {runs.map(([row, col, length]) => (
        <rect
          key={`${row}-${col}`}
          class="qr-dark"
          x={col + margin}
          y={row + margin}
          width={length}
          height="1"
        />
      ))}
    </svg>
  );
}

/**
 * The terminal's size, and the rows and columns left for the current screen between the header and
 * the footer. Screens fit themselves into `useBodySize()`; `height` is undefined where the terminal
 * does not say how tall it is (tests without a size): then screens take the rows they need.
 */
import { createContext, useContext, useEffect, useState } from 'react';
import { useStdout } from 'ink';

export interface TerminalSize {
  columns: number;
  rows?: number;
}

/** The terminal's columns and rows, updated when it is resized. */
export function useTerminalSize(): TerminalSize {
  const { stdout } = useStdout();
  const read = (): TerminalSize => ({ columns: stdout?.columns || 100, rows: stdout?.rows || undefined });
  const [size, setSize] = useState<TerminalSize>(read);
  useEffect(() => {
    if (!stdout) return;
    const onResize = () =>
      setSize((old) => {
        const next = read();
        return next.columns === old.columns && next.rows === old.rows ? old : next;
      });
    stdout.on('resize', onResize);
    // A resize between the first render and this subscription would be missed otherwise.
    onResize();
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

export interface BodySize {
  /** Columns a line may use (one less than the terminal's: a full line would wrap in some terminals). */
  width: number;
  /** Rows for the screen's body, or undefined when the terminal's height is unknown. */
  height?: number;
}

export const BodySizeContext = createContext<BodySize>({ width: 99 });

export function useBodySize(): BodySize {
  return useContext(BodySizeContext);
}

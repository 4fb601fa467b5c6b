/**
 * The console's error boundary: a render error anywhere below it ends the console through the
 * last-resort path (abort a running flow, restore the terminal, one line) instead of Ink's error
 * screen, which prints the stack.
 */
import { Component, type ReactNode } from 'react';

export interface LastResortProps {
  /** Called once with the error a component threw while rendering. */
  onError(error: unknown): void;
  children: ReactNode;
}

export class LastResort extends Component<LastResortProps, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override componentDidCatch(error: unknown): void {
    this.props.onError(error);
  }

  override render(): ReactNode {
    return this.state.failed ? null : this.props.children;
  }
}

import { useEffect, useRef, type CSSProperties, type JSX } from 'react';

export interface FlameMenuProps {
  name: string;
  /** The root: nothing to sandwich or copy. */
  isRoot: boolean;
  style: CSSProperties;
  onFocus(): void;
  /** Absent when the view has no sandwich view. */
  onSandwich?: () => void;
  onClose(): void;
}

/** The context menu of a bar. Closes on Escape, on a press outside it, and after an action. */
export function FlameMenu({ name, isRoot, style, onFocus, onSandwich, onClose }: FlameMenuProps): JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector('button')?.focus();
    const onPointerDown = (e: PointerEvent): void => {
      if (!ref.current?.contains(e.target as Node)) onClose();
    };
    document.addEventListener('pointerdown', onPointerDown);
    return () => document.removeEventListener('pointerdown', onPointerDown);
  }, [onClose]);
  const run = (action: () => void) => () => {
    action();
    onClose();
  };
  return (
    <div
      ref={ref}
      className="kiln-flame-menu"
      role="menu"
      data-testid="flame-menu"
      style={style}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onClose();
      }}
    >
      <button type="button" role="menuitem" onClick={run(onFocus)}>
        Focus
      </button>
      <button
        type="button"
        role="menuitem"
        disabled={isRoot || onSandwich === undefined}
        onClick={run(() => onSandwich?.())}
      >
        Sandwich view
      </button>
      <button type="button" role="menuitem" disabled={isRoot} onClick={run(() => copyText(name))}>
        Copy function name
      </button>
    </div>
  );
}

/**
 * The async Clipboard API needs a secure context, which a standalone HTML file opened from
 * disk may not be; the textarea and execCommand route works there.
 */
function copyText(text: string): void {
  if (navigator.clipboard !== undefined && window.isSecureContext) {
    navigator.clipboard.writeText(text).catch(() => copyWithTextarea(text));
  } else {
    copyWithTextarea(text);
  }
}

function copyWithTextarea(text: string): void {
  const area = document.createElement('textarea');
  area.value = text;
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  document.execCommand('copy');
  area.remove();
}

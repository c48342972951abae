"""``python -m labelaudit``."""

from labelaudit.cli import main

if __name__ == "__main__":
    main()

"""Operations that join the engines with the database session; views and CLI both call these."""

-- The day's list is empty: its rows go.
DELETE FROM morning_list WHERE list_date = $day;
